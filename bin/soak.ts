/**
 * `npm run soak`: drives the local runtime with a seeded mix of events and faults, restarts it
 * mid-run, then reconciles every accepted event; exits 1 when an event is lost or an effect
 * was applied twice, 2 on bad flags.
 */
import { parseSoakArgs, SOAK_USAGE, SoakOptionsError } from '../lib/soak/options.ts';
import { runSoak } from '../lib/soak/soak.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(SOAK_USAGE);
  process.exit(0);
}
try {
  const report = await runSoak(parseSoakArgs(args));
  process.exitCode = report.passed ? 0 : 1;
} catch (error) {
  if (error instanceof SoakOptionsError) {
    console.error(`${error.message}\n${SOAK_USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
