"""Running a notebook: sandbox policy, layers and command, shared kernel caches, launcher, limits,
kernel runner, probe, clean model loader, doctor."""
