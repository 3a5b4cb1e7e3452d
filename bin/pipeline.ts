/**
 * The `pipeline` CLI entry: `start` runs the pipeline locally; `send`, `status` and `dlq` talk
 * to any target through its outputs file. Run `pipeline --help`.
 *
 * Usage: `npx pipeline <command> [flags]` (through bin/pipeline.mjs), or `npm start`.
 */
import { deployCommands } from '../lib/cli/commands/deploy.ts';
import { runCli } from '../lib/cli/main.ts';
import { startCommand } from '../lib/local/start-command.ts';

runCli(process.argv.slice(2), [startCommand, ...deployCommands]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    );
    process.exit(1);
  }
);
