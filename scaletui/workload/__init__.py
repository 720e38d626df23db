"""Load profiles and the rate-controlled workload job."""
