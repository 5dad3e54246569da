-- Point-in-time recount of lead_features_current's activity features (macros/mart_checks.sql).
{{ point_in_time_violations(ref('lead_features_current')) }}
