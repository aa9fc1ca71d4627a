/**
 * Preloaded into the gateway child (`node --import`). The gateway's own SIGTERM handler logs
 * "draining" but, at the time of writing, the process never exits afterwards; without an exit,
 * `--cpu-prof` writes no profile and every run would wait out the kill grace period. This gives
 * the gateway's handler a moment, then exits normally (which is when V8 writes the profile).
 */
const DRAIN_GRACE_MS = 2_000;

process.once('SIGTERM', () => {
  setTimeout(() => process.exit(0), DRAIN_GRACE_MS);
});
