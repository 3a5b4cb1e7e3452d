/**
 * Synthesizes the soak's CDK app (`soak-app.ts`) into its own assembly directory, through the
 * local runtime's {@link synthesize} (the project's CDK CLI, bundling on, skipped when nothing
 * it reads has changed, one synth at a time per assembly directory).
 */
import { join, relative } from 'node:path';
import { LOCAL_SYNTH_CONTEXT, type SynthResult, synthesize } from '../local/synth.ts';

/** Assembly directory of the soak, relative to the project (ignored by git as `cdk.*.out/`). */
export const SOAK_OUTDIR = 'cdk.soak.out';

/**
 * Synthesizes `lib/soak/soak-app.ts` into {@link SOAK_OUTDIR} unless its inputs are unchanged.
 *
 * @throws SynthError when the CDK CLI fails, with the end of its output
 */
export function synthesizeSoakApp(projectDir: string): Promise<SynthResult> {
  const app = relative(projectDir, join(import.meta.dirname, 'soak-app.ts'));
  return synthesize({
    projectDir,
    outdir: SOAK_OUTDIR,
    // The same Node.js and loader as the runtime's own synth of cdk.json's app.
    app: `${JSON.stringify(process.execPath)} --import tsx ${app}`,
    context: LOCAL_SYNTH_CONTEXT,
  });
}
