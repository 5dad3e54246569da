-- Point-in-time recount of lead_snapshots' activity features (macros/mart_checks.sql).
{{ point_in_time_violations(ref('lead_snapshots')) }}
