/**
 * `npm run bench`: measures the local runtime in one run on this machine and prints a table;
 * writes everything to bench-results/latest.json. See BENCHMARKS.md.
 *
 * Usage: `npm run bench [-- --quick] [-- --cost-only] [-- --batch <1-10>] [-- --out <file>] [-- --seed <n>]`
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV, OUTPUT_KEYS } from '../functions/shared/contract.ts';
import { measureBundles } from '../lib/bench/bundles.ts';
import { callsPerEvent, estimateCost, estimateNaiveCost } from '../lib/bench/cost-model.ts';
import { measureEmulatorCeiling } from '../lib/bench/emulator-ceiling.ts';
import { DeliveryTracker, type RateRunResult, runAtRate } from '../lib/bench/load-run.ts';
import { PRICES } from '../lib/bench/pricing.ts';
import { copyProject } from '../lib/bench/project-copy.ts';
import {
  formatDollars,
  formatNumber,
  formatTable,
  type TableRow,
  writeJson,
} from '../lib/bench/report.ts';
import { timeHotReload, timeStart } from '../lib/bench/startup.ts';
import { median } from '../lib/bench/stats.ts';
import type { ApiCallSnapshot } from '../lib/local/api-call-counter.ts';
import { LocalRuntime } from '../lib/local/runtime.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'cost-only': { type: 'boolean', default: false },
    batch: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench-results/latest.json' },
    seed: { type: 'string', default: '1' },
  },
});
const quick = values.quick === true;
const seed = Number(values.seed);
/** Events per ingest request; above 1 the load generator uses batch mode. */
const batchSize = Number(values.batch);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
  process.stderr.write(`bench: --batch must be an integer from 1 to 10, got ${values.batch}\n`);
  process.exit(2);
}
if (batchSize > 1 && values['cost-only'] !== true) {
  process.stderr.write('bench: --batch is only for --cost-only runs\n');
  process.exit(2);
}
const plan = quick
  ? {
      fixedMs: 6_000,
      drainMs: 15_000,
      sustainMs: 12_000,
      sustainSteps: 3,
      ceiling: 1_000,
      initSamples: 3,
    }
  : {
      fixedMs: 15_000,
      drainMs: 30_000,
      sustainMs: 60_000,
      sustainSteps: 4,
      ceiling: 4_000,
      initSamples: 5,
    };
const FIXED_RATES = [10, 50, 100] as const;
const COUNTED_RATE = 100;
const HANDLER_TO_EDIT = 'functions/audit/handler.ts';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const projectDir = process.cwd();
const startedAt = new Date();
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg(),
};
log(
  `${values['cost-only'] ? 'cost-only' : quick ? 'quick' : 'full'} run (${batchSize} event${batchSize > 1 ? 's' : ''} per request) on ${machine.nproc} × ${machine.cpu}, node ${machine.node}, load ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`
);

if (values['cost-only'] === true) {
  await measureCostOnly();
  process.exit(0);
}

const copy = await copyProject(projectDir);
log(`project copied to ${copy.dir}`);
try {
  // 1. npm start → ready: cold (fresh cdk.out), warm ×3, hot reload.
  log('start: cold (synth + bundling)…');
  const cold = await timeStart(copy.dir);
  const warm = [];
  for (let index = 0; index < 3; index += 1) {
    log(`start: warm ${index + 1}/3…`);
    warm.push(await timeStart(copy.dir));
  }
  log('hot reload…');
  const reload = await timeHotReload(copy.dir, HANDLER_TO_EDIT);
  // The reload re-synthesized the copy with the edit; the throughput runs use that assembly.

  // 2. The emulators' own ceiling, nothing else running.
  log('emulator ceilings…');
  const ceiling = await measureEmulatorCeiling(plan.ceiling);

  // 3. The pipeline under load, in this process (the load generator is a worker thread).
  const { runtime, functions, consumerFunctions, run } = await startPipeline(copy.dir);
  let fixed: RateRunResult[] = [];
  let counts: ApiCallSnapshot | undefined;
  let countedEvents = 0;
  const sustainRuns: RateRunResult[] = [];
  try {
    log('warm-up: 3 s at 20 events/s (not reported)…');
    await run(20, 3_000, seed + 100);
    for (const rate of FIXED_RATES) {
      log(`fixed rate ${rate} events/s for ${plan.fixedMs / 1000} s…`);
      if (rate === COUNTED_RATE) runtime.apiCalls.start();
      const result = await run(rate, plan.fixedMs, seed + rate);
      if (rate === COUNTED_RATE) {
        counts = runtime.apiCalls.snapshot();
        countedEvents = result.accepted;
        runtime.apiCalls.stop();
      }
      fixed = [...fixed, result];
      log(
        `  accepted ${result.accepted}, p50/p95/p99 ${fmtMs(result.latencyMs.p50)}/${fmtMs(result.latencyMs.p95)}/${fmtMs(result.latencyMs.p99)} ms, sustained ${result.sustained}`
      );
    }
    // 4. Highest rate sustained for the whole step: start at the best fixed rate that kept up,
    // go up ×1.5 while it holds and down ×⅔ while it does not, then halve the gap once.
    let ok = 0;
    let failed = Number.POSITIVE_INFINITY;
    let next = Math.max(
      10,
      ...fixed.filter((result) => result.sustained).map((result) => result.rate)
    );
    for (let step = 0; step < plan.sustainSteps; step += 1) {
      log(`sustain ${next} events/s for ${plan.sustainMs / 1000} s…`);
      const result = await run(next, plan.sustainMs, seed + 1000 + step);
      sustainRuns.push(result);
      log(
        `  accepted ${formatNumber(result.acceptedPerSecond)}/s of ${result.offered} sent, unfinished ${result.unfinished}, backlog slope ${formatNumber(result.backlogSlopePerSecond)}/s, p99 ${fmtMs(result.latencyMs.p99)} ms → ${result.sustained ? 'sustained' : 'not sustained'}`
      );
      if (result.sustained) ok = Math.max(ok, next);
      else failed = Math.min(failed, next);
      const candidate =
        failed === Number.POSITIVE_INFINITY
          ? Math.round(next * 1.5)
          : ok === 0
            ? Math.round(next * (2 / 3))
            : Math.round((ok + failed) / 2);
      if (candidate < 5 || (ok > 0 && failed - ok <= Math.max(5, ok * 0.1))) break;
      next = candidate;
    }
  } finally {
    await runtime.stop();
  }
  const sustainedRate = Math.max(
    0,
    ...sustainRuns.filter((result) => result.sustained).map((result) => result.rate)
  );

  // 5. Bundles and module initialisation.
  log('bundles and module initialisation…');
  const bundles = await measureBundles(functions, plan.initSamples);

  // 6. Cost per million events, and calls per event.
  const { apiCalls, cost } = costOf(counts, countedEvents, consumerFunctions);
  const composite = counts ? compositeCeiling(counts, countedEvents, ceiling) : undefined;

  const results = {
    date: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    command: `npm run bench${quick ? ' -- --quick' : ''}`,
    machine: { ...machine, loadAverageAtEnd: loadavg() },
    plan,
    startup: {
      cold,
      warm,
      warmMedianWallMs: median(warm.map((timing) => timing.wallMs)),
      reload,
    },
    emulatorCeiling: ceiling,
    latency: fixed,
    sustained: { rate: sustainedRate, runs: sustainRuns },
    overhead: {
      sustainedOverSnsCeiling: sustainedRate / ceiling.snsPublishTo3QueuesPerSecond,
      compositeCeilingEventsPerSecond: composite,
      sustainedOverCompositeCeiling: composite ? sustainedRate / composite : undefined,
    },
    apiCalls,
    cost,
    bundles,
  };
  const out = resolve(projectDir, values.out ?? 'bench-results/latest.json');
  await writeJson(out, results);

  const rows: TableRow[] = [
    {
      section: 'start',
      metric: 'npm start → ready, cold (synth + bundling)',
      value: `${fmtMs(cold.wallMs)} ms (runtime says ${fmtMs(cold.reportedMs)} ms)`,
      target: '≤ 3,000 ms; peer 378 ms',
    },
    {
      section: 'start',
      metric: 'npm start → ready, warm (median of 3)',
      value: `${fmtMs(results.startup.warmMedianWallMs)} ms (${warm.map((timing) => fmtMs(timing.wallMs)).join(', ')})`,
      target: '≤ 500 ms; peer 121 ms',
    },
    {
      section: 'start',
      metric: 'hot reload (file written → swapped)',
      value: `${fmtMs(reload.wallMs)} ms (runtime says ${fmtMs(reload.reportedMs)} ms)`,
      target: '≤ 1,000 ms',
    },
    ...fixed.map((result) => ({
      section: 'latency (accepted → last subscriber done)',
      metric: `${result.rate} events/s: p50 / p95 / p99`,
      value: `${fmtMs(result.latencyMs.p50)} / ${fmtMs(result.latencyMs.p95)} / ${fmtMs(result.latencyMs.p99)} ms (n=${result.completed}; ingest p50 ${fmtMs(result.ingestMs.p50)} ms; sent → done p99 ${fmtMs(result.sentToDoneMs.p99)} ms${result.unfinished ? `, ${result.unfinished} unfinished` : ''})`,
      target: result.rate === 100 ? 'p50 ≤ 25, p99 ≤ 100 ms; peer 80/101/102 at 1–4/s' : undefined,
    })),
    ...Object.entries(fixed[0]?.bySubscriberMs ?? {}).map(([subscriber, low]) => {
      const high = fixed.find((result) => result.rate === COUNTED_RATE)?.bySubscriberMs[subscriber];
      return {
        section: 'latency (accepted → last subscriber done)',
        metric: `  ${subscriber} alone: p50 / p99 at ${fixed[0]?.rate}/s | at ${COUNTED_RATE}/s`,
        value: `${fmtMs(low.p50)} / ${fmtMs(low.p99)} | ${fmtMs(high?.p50 ?? Number.NaN)} / ${fmtMs(high?.p99 ?? Number.NaN)} ms`,
      };
    }),
    {
      section: 'throughput',
      metric: `highest rate sustained ${plan.sustainMs / 1000} s`,
      value: `${sustainedRate} events/s (tried ${sustainRuns.map((result) => `${result.rate}${result.sustained ? '✓' : '✗'}`).join(', ')})`,
      target: '≥ 300 events/s; peer 5.4',
    },
    {
      section: 'throughput',
      metric: 'sustained ÷ SNS publish→3 queues ceiling',
      value: formatRatio(results.overhead.sustainedOverSnsCeiling),
      target: '≥ 50%',
    },
    {
      section: 'throughput',
      metric: 'sustained ÷ composite emulator ceiling',
      value: composite
        ? `${formatRatio(sustainedRate / composite)} (ceiling ${formatNumber(composite)} events/s)`
        : 'n/a',
    },
    {
      section: 'emulators',
      metric: 'SQS SendMessageBatch',
      value: `${formatNumber(ceiling.sqsSendPerSecond)} msg/s`,
      target: '~10k',
    },
    {
      section: 'emulators',
      metric: 'SQS receive + delete',
      value: `${formatNumber(ceiling.sqsReceiveDeletePerSecond)} msg/s`,
      target: '~9.5k',
    },
    {
      section: 'emulators',
      metric: 'SNS publish → 3 queues',
      value: `${formatNumber(ceiling.snsPublishTo3QueuesPerSecond)} msg/s`,
      target: '~870',
    },
    {
      section: 'emulators',
      metric: 'dynalite conditional put',
      value: `${formatNumber(ceiling.dynamoConditionalPutPerSecond)} /s`,
      target: '~2.1k',
    },
    ...costRows(results.apiCalls, results.cost),
    ...bundles.map((bundle) => ({
      section: 'bundles',
      metric: `${bundle.consumer ?? bundle.functionName} (${bundle.memorySizeMb} MB)`,
      value: `${formatNumber(bundle.bytes / 1024)} KB, init ${fmtMs(bundle.initMs)} ms`,
      target: '≤ 100 KB, ≤ 50 ms',
    })),
    {
      section: 'machine',
      metric: 'load average at start / end',
      value: `${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')} / ${results.machine.loadAverageAtEnd.map((value) => value.toFixed(2)).join(' ')}`,
    },
  ];
  process.stdout.write(`${formatTable(rows)}\n\nresults: ${out}\n`);
} finally {
  await copy.remove();
}
process.exit(0);

function fmtMs(value: number): string {
  return formatNumber(value, 1);
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : 'n/a';
}

function apiUrlOf(runtime: LocalRuntime): string | undefined {
  for (const stack of Object.values(runtime.summary.outputs)) {
    const url = stack[OUTPUT_KEYS.apiUrl];
    if (typeof url === 'string') return url;
  }
  return undefined;
}

/**
 * What the emulators alone could carry of this workload: the calls per event weighted by the
 * time each takes at its measured ceiling (all emulators share the runtime's one event loop, so
 * their times add up).
 */
function compositeCeiling(
  counts: ApiCallSnapshot,
  events: number,
  ceiling: Awaited<ReturnType<typeof measureEmulatorCeiling>>
): number | undefined {
  if (events === 0) return undefined;
  let seconds = 0;
  for (const [operation, count] of Object.entries(counts.aws.sns ?? {})) {
    if (operation.startsWith('Publish'))
      seconds += count.calls / ceiling.snsPublishTo3QueuesPerSecond;
  }
  const records = Object.values(counts.lambda).reduce((sum, fn) => sum + fn.records, 0);
  seconds += records / ceiling.sqsReceiveDeletePerSecond;
  for (const [operation, count] of Object.entries(counts.aws.sqs ?? {})) {
    if (operation.startsWith('SendMessage')) seconds += count.calls / ceiling.sqsSendPerSecond;
  }
  for (const count of Object.values(counts.aws.dynamodb ?? {})) {
    seconds += count.calls / ceiling.dynamoConditionalPutPerSecond;
  }
  return events / seconds;
}

/**
 * Starts the local runtime in-process on the project copy `dir`, with the delivery tracker the
 * load runs finish events with, and returns a function that runs the shop mix at a rate.
 */
async function startPipeline(dir: string) {
  log('starting the runtime in-process…');
  const tracker = new DeliveryTracker();
  const runtime = await LocalRuntime.start({
    projectDir: dir,
    port: 0,
    watch: false,
    log: (line) => tracker.onLog(line),
  });
  const functions = runtime.summary.stacks.flatMap((result) => result.stack.functions);
  const consumerFunctions = new Set(
    functions.filter((fn) => fn.environment[ENV.CONSUMER_NAME]).map((fn) => fn.functionName)
  );
  const apiBaseUrl = apiUrlOf(runtime);
  if (!apiBaseUrl) {
    await runtime.stop();
    throw new Error(`no ${OUTPUT_KEYS.apiUrl} output in ${runtime.summary.outputsFile}`);
  }
  const run = (rate: number, durationMs: number, runSeed: number, eventsPerRequest = 1) =>
    runAtRate(tracker, {
      apiBaseUrl,
      region: 'us-east-1',
      rate,
      durationMs,
      drainMs: plan.drainMs,
      seed: runSeed,
      batchSize: eventsPerRequest,
    });
  return { runtime, functions, consumerFunctions, run };
}

/** Calls per event and the bills (as built, naive) of the counted run. */
function costOf(
  counts: ApiCallSnapshot | undefined,
  events: number,
  consumerFunctions: ReadonlySet<string>
) {
  const inputs = { events, consumerFunctions };
  const actual = counts ? estimateCost(counts, inputs) : undefined;
  const naive = counts ? estimateNaiveCost(counts, inputs) : undefined;
  return {
    apiCalls: {
      countedAtRate: COUNTED_RATE,
      events,
      perEvent: counts ? callsPerEvent(counts, events) : [],
      raw: counts,
    },
    cost: {
      prices: PRICES,
      actual,
      naive,
      ratio:
        actual && naive ? actual.totalPerMillionEvents / naive.totalPerMillionEvents : undefined,
    },
  };
}

/** The table rows of the calls per event and the bills. */
function costRows(
  apiCalls: ReturnType<typeof costOf>['apiCalls'],
  cost: ReturnType<typeof costOf>['cost']
): TableRow[] {
  return [
    ...apiCalls.perEvent.map((row) => ({
      section: `AWS calls per event (at ${COUNTED_RATE}/s, ${apiCalls.events} events)`,
      metric: `${row.service} ${row.operation}`,
      value: row.perEvent.toFixed(3),
    })),
    ...(cost.actual?.lines ?? [])
      .filter((line) => line.dollarsPerMillionEvents > 0)
      .map((line) => ({
        section: 'AWS cost per million events',
        metric: line.item,
        value: `${formatDollars(line.dollarsPerMillionEvents)} (${line.unitsPerEvent.toFixed(3)}/event)`,
      })),
    {
      section: 'AWS cost per million events',
      metric: 'total, as built',
      value: cost.actual ? formatDollars(cost.actual.totalPerMillionEvents) : 'n/a',
    },
    {
      section: 'AWS cost per million events',
      metric: 'total, naive design',
      value: cost.naive ? formatDollars(cost.naive.totalPerMillionEvents) : 'n/a',
    },
    {
      section: 'AWS cost per million events',
      metric: 'as built ÷ naive',
      value: cost.ratio === undefined ? 'n/a' : formatRatio(cost.ratio),
      target: '≤ 60%',
    },
  ];
}

/**
 * `--cost-only`: the warm-up and the counted run at {@link COUNTED_RATE} only (no start
 * timings, ceilings, latency steps, sustain steps or bundles), for comparing the bill of two
 * versions of the project in a few minutes. Run it from each version's directory.
 *
 * With `--batch <n>` (n > 1) a second counted run sends the same mix `n` events per request
 * (batch mode), and its bill is compared with the naive design priced from the first run (one
 * event per request): the naive design sends one request and one publish per event whatever
 * the clients could do.
 */
async function measureCostOnly(): Promise<void> {
  const copy = await copyProject(projectDir);
  log(`cost only: project copied to ${copy.dir}`);
  try {
    const { runtime, consumerFunctions, run } = await startPipeline(copy.dir);
    const counted: Array<{ counts: ApiCallSnapshot; events: number; eventsPerRequest: number }> =
      [];
    try {
      log('warm-up: 3 s at 20 events/s (not reported)…');
      await run(20, 3_000, seed + 100);
      for (const eventsPerRequest of batchSize > 1 ? [1, batchSize] : [1]) {
        log(
          `counted run: ${COUNTED_RATE} events/s for ${plan.fixedMs / 1000} s, ${eventsPerRequest} per request…`
        );
        runtime.apiCalls.start();
        const result = await run(COUNTED_RATE, plan.fixedMs, seed + COUNTED_RATE, eventsPerRequest);
        counted.push({
          counts: runtime.apiCalls.snapshot(),
          events: result.accepted,
          eventsPerRequest,
        });
        runtime.apiCalls.stop();
      }
    } finally {
      await runtime.stop();
    }
    const [single, batched] = counted;
    const { apiCalls, cost } = costOf(single?.counts, single?.events ?? 0, consumerFunctions);
    const rows = costRows(apiCalls, cost);
    let batchedResults: Record<string, unknown> | undefined;
    if (batched) {
      const own = costOf(batched.counts, batched.events, consumerFunctions);
      const ratio =
        own.cost.actual && cost.naive
          ? own.cost.actual.totalPerMillionEvents / cost.naive.totalPerMillionEvents
          : undefined;
      batchedResults = { eventsPerRequest: batched.eventsPerRequest, ...own, ratio };
      rows.push(
        ...costRows(own.apiCalls, { ...own.cost, naive: cost.naive, ratio }).map((row) => ({
          ...row,
          section: `${row.section}, clients sending ${batched.eventsPerRequest} events per request`,
        }))
      );
    }
    const out = resolve(projectDir, values.out ?? 'bench-results/latest.json');
    await writeJson(out, {
      date: startedAt.toISOString(),
      mode: 'cost-only',
      command: `npm run bench -- --cost-only --batch ${batchSize}`,
      machine: { ...machine, loadAverageAtEnd: loadavg() },
      plan,
      apiCalls,
      cost,
      batched: batchedResults,
    });
    process.stdout.write(`${formatTable(rows)}\n\nresults: ${out}\n`);
  } finally {
    await copy.remove();
  }
}
