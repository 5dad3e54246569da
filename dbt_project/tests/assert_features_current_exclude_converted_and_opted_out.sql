-- No serving row of a converted or non-consenting lead (macros/mart_checks.sql).
{{ population_violations(ref('lead_features_current')) }}
