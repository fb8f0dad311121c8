"""Running a notebook: sandbox policy, launcher, limits, kernel runner, probe, doctor."""
