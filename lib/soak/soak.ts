/**
 * One soak run: start the local runtime on the soak stack with a persisted state, drive it with
 * the seeded plan (restarting it once mid-run), wait until the queues are quiet, and reconcile.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readOutputs } from '../cli/target-outputs.ts';
import { shopPipeline } from '../definition/shop.ts';
import { LocalRuntime } from '../local/runtime.ts';
import { SoakDriver } from './driver.ts';
import { ExpectationModel } from './expectations.ts';
import type { SoakOptions } from './options.ts';
import { type PlannedRequest, planSoak } from './plan.ts';
import { backlogs, drainDeadLetters, reconcile, waitForQuiet } from './reconcile.ts';
import { failuresOf, formatReport, type RestartReport, type SoakReport } from './report.ts';
import { SoakClient } from './soak-client.ts';
import { withTimeout } from './soak-definition.ts';
import { SOAK_OUTDIR, synthesizeSoakApp } from './synth-soak.ts';

/** Runtime log lines the soak counts, by what they show. */
const SIGNALS: Readonly<Record<string, RegExp>> = {
  'invocations timed out': /Task timed out after/,
  'records in crashed batches': /reason="Runtime\.ExitError/,
  'records in timed-out batches': /reason="timed out"/,
  'failed deliveries': /outcome=failed/,
};

/** Runs a soak and returns its report (also printed through `options.log`). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const wallStart = performance.now();
  const log = options.log;
  const projectDir = resolve(options.projectDir);
  const definition = withTimeout(shopPipeline);
  const plan = planSoak({ ...options, definition });
  log(`soak: ${plan.eventCount} events in ${plan.requests.length} requests, seed ${options.seed}`);

  const synth = await synthesizeSoakApp(projectDir);
  log(
    synth.reused
      ? 'soak stack is up to date'
      : `synthesized the soak stack in ${(synth.elapsedMs / 1000).toFixed(1)} s`
  );
  // The soak persists the emulators' state across its restart (persistDir below).
  await mkdir(join(projectDir, '.state'), { recursive: true });
  const workDir = await mkdtemp(join(projectDir, '.state', 'soak-'));
  const signals: Record<string, number> = Object.fromEntries(
    Object.keys(SIGNALS).map((name) => [name, 0])
  );
  const runtimeLog = (line: string) => {
    for (const [name, pattern] of Object.entries(SIGNALS)) {
      if (pattern.test(line)) signals[name] = (signals[name] ?? 0) + 1;
    }
    if (options.verbose) log(line);
  };
  const start = async () => {
    const runtime = await LocalRuntime.start({
      projectDir,
      synth: false,
      outdir: SOAK_OUTDIR,
      watch: false,
      persistDir: join(workDir, 'state'),
      outputsFile: join(workDir, 'outputs.json'),
      stateFile: join(workDir, 'runtime.json'),
      journalFile: join(workDir, 'deliveries.jsonl'),
      log: runtimeLog,
    });
    const outputs = await readOutputs(runtime.summary.outputsFile);
    return { runtime, client: new SoakClient(outputs, runtime.summary.endpoints) };
  };

  const started = performance.now();
  let { runtime, client } = await start();
  const startMs = performance.now() - started;
  try {
    const driver = new SoakDriver(client, options);
    const [before, after] = splitAt(plan.requests, options.restartAt, plan.eventCount);
    const driveStart = performance.now();
    let restartMs = 0;
    log(`driving ${plan.eventCount} events at ${options.rate}/s…`);
    await driver.run(before);
    let restart: RestartReport | undefined;
    if (options.restartAt !== undefined) {
      const restartStart = performance.now();
      const backlogBeforeStop = await backlogs(client);
      log(
        `restarting the runtime after ${driver.eventsSent} events (backlog ${JSON.stringify(backlogBeforeStop)})…`
      );
      client.destroy();
      await runtime.stop();
      const stopMs = performance.now() - restartStart;
      const restarted = performance.now();
      ({ runtime, client } = await start());
      const restartedMs = performance.now() - restarted;
      driver.useClient(client);
      const backlogAfterStart = await backlogs(client);
      restart = {
        afterEvents: driver.eventsSent,
        backlogBeforeStop,
        backlogAfterStart,
        stopMs,
        startMs: restartedMs,
      };
      log(`restarted (backlog ${JSON.stringify(backlogAfterStart)})`);
      restartMs = performance.now() - restartStart;
    }
    await driver.run(after);
    const driveMs = performance.now() - driveStart;
    const drainStart = performance.now();
    const deadline = Date.now() + options.drainTimeoutMs;
    if (driver.deferred > 0) log(`sending ${driver.deferred} held-back cancellations…`);
    await driver.flushDeferred(deadline, log, async () =>
      Object.values(await backlogs(client)).every((count) => count === 0)
    );
    const drained = await waitForQuiet(client, deadline, log);
    const drainMs = performance.now() - drainStart;
    const deadLetters = await drainDeadLetters(client);
    const reconciliation = await reconcile(
      client,
      driver.accepted,
      new ExpectationModel(definition),
      deadLetters
    );
    const faults: Record<string, number> = {};
    for (const id of driver.accepted.keys()) {
      const fault = plan.faults.get(id);
      if (fault) faults[fault] = (faults[fault] ?? 0) + 1;
    }
    const failures = failuresOf(reconciliation, drained);
    const report: SoakReport = {
      options: {
        events: options.events,
        rate: options.rate,
        seed: options.seed,
        restartAt: options.restartAt,
        faultShare: options.faultShare,
        duplicateShare: options.duplicateShare,
      },
      planned: plan.eventCount,
      accepted: driver.accepted.size,
      faults,
      driver: driver.stats,
      ...(restart ? { restart } : {}),
      drained,
      reconciliation,
      runtimeSignals: signals,
      timings: {
        startMs,
        driveMs,
        drainMs,
        wallMs: performance.now() - wallStart,
        achievedRate: driver.eventsSent / Math.max(0.001, (driveMs - restartMs) / 1000),
      },
      passed: failures.length === 0,
      failures,
    };
    for (const line of formatReport(report)) log(line);
    if (options.jsonFile) {
      await writeFile(resolve(options.jsonFile), `${JSON.stringify(report, null, 2)}\n`);
    }
    return report;
  } finally {
    client.destroy();
    await runtime.stop();
    if (!options.keepState) await rm(workDir, { recursive: true, force: true });
    else log(`state kept in ${workDir}`);
  }
}

/** Splits the requests where `fraction` of the events have been planned. */
function splitAt(
  requests: readonly PlannedRequest[],
  fraction: number | undefined,
  eventCount: number
): [readonly PlannedRequest[], readonly PlannedRequest[]] {
  if (fraction === undefined) return [requests, []];
  let events = 0;
  const index = requests.findIndex((request) => {
    events += request.events.length;
    return events >= fraction * eventCount;
  });
  return [requests.slice(0, index + 1), requests.slice(index + 1)];
}
