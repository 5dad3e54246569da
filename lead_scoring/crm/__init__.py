"""Sources mapped from a CRM's own tables: the mapping, the deliveries it points at, their conformed landing."""
