"""The simulated CRM: a seeded, day-by-day generator of raw CRM data and its ground truth."""
