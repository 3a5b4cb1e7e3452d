/**
 * The hot reload's in-process bundler on a small project in a temporary directory: bundles built
 * the way the synth builds them (its own esbuild options, into `cdk.out/asset.*`), then edits.
 * Real esbuild, real files.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotBundler, RebundleError, sameBundle } from '../../../lib/local/hot-reload.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';
import { bundleBuildOptions } from '../../../lib/pipeline/esbuild-options.ts';

const SOURCES: Record<string, string> = {
  // Read by the CDK app (bin/app.ts) and by alpha's bundle.
  'functions/shared/contract.ts': "export const ENV = { greeting: 'GREETING' } as const;\n",
  'functions/shared/greeting.ts':
    "import { ENV } from './contract.ts';\nexport const greeting = (): string => process.env[ENV.greeting] ?? 'hello';\n",
  'functions/shared/unused.ts': 'export const unused = 1;\n',
  'functions/alpha/handler.ts':
    "import { greeting } from '../shared/greeting.ts';\nexport const handler = async () => greeting() + ' from alpha v1';\n",
  'functions/beta/handler.ts': "export const handler = async () => 'beta v1';\n",
  'bin/app.ts':
    "import { App } from 'aws-cdk-lib';\nimport { ENV } from '../lib/stack.ts';\nnew App().node.setContext('env', ENV.greeting);\n",
  'lib/stack.ts': "export { ENV } from '../functions/shared/contract.ts';\n",
  'cdk.json': JSON.stringify({ app: 'node --import tsx bin/app.ts' }),
};

/** Writes {@link SOURCES} into a new temporary project. */
async function makeProject(prefix: string): Promise<string> {
  const project = await mkdtemp(join(tmpdir(), prefix));
  for (const [file, text] of Object.entries(SOURCES)) {
    await mkdir(dirname(join(project, file)), { recursive: true });
    await writeFile(join(project, file), text);
  }
  return project;
}

function localFunction(name: string, bundleDir: string): LocalFunction {
  return {
    logicalId: `${name}Function`,
    functionName: `HotReload-${name}`,
    bundleDir,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    environment: {},
    timeoutSeconds: 3,
    memorySizeMb: 128,
  };
}

describe('HotBundler', () => {
  let project: string;
  let bundler: HotBundler;
  let alpha: LocalFunction;
  let beta: LocalFunction;

  /** Bundles `entry` the way the synth does, into `cdk.out/<asset>`. */
  function synthBundle(entry: string, asset: string): string {
    const dir = join(project, 'cdk.out', asset);
    buildSync(bundleBuildOptions(join(project, entry), dir));
    return dir;
  }

  const fn = localFunction;

  async function edit(file: string, from: string, to: string): Promise<void> {
    const path = join(project, file);
    await writeFile(path, (await readFile(path, 'utf8')).replace(from, to));
  }

  beforeAll(async () => {
    project = await makeProject('hot-reload-');
    alpha = fn('Alpha', synthBundle('functions/alpha/handler.ts', 'asset.alpha'));
    beta = fn('Beta', synthBundle('functions/beta/handler.ts', 'asset.beta'));
    bundler = new HotBundler({ projectDir: project, outdir: join(project, 'cdk.out') });
    await bundler.warmUp([alpha, beta]);
  });

  afterAll(async () => {
    await bundler?.dispose();
    await rm(project, { recursive: true, force: true });
  });

  it('finds the entry and the inputs of a synthesized bundle in its source map', async () => {
    // Act
    const inputs = await bundler.inputsOf(alpha.bundleDir);

    // Assess
    expect(inputs?.entry).toBe(join(project, 'functions/alpha/handler.ts'));
    expect([...(inputs?.files ?? [])].sort()).toEqual([
      join(project, 'functions/alpha/handler.ts'),
      join(project, 'functions/shared/contract.ts'),
      join(project, 'functions/shared/greeting.ts'),
    ]);
    expect(bundler.hotRoot).toBe(join(project, 'cdk.hot.out'));
  });

  it('bundles again only the function whose bundle read the changed file, into a new directory', async () => {
    // Prepare
    await edit('functions/alpha/handler.ts', 'alpha v1', 'alpha v2');
    const changes = [join(project, 'functions/alpha/handler.ts')];

    // Act
    const rebundled = await bundler.rebundle([alpha, beta], changes);

    // Assess
    expect(rebundled.map((result) => [result.fn.logicalId, result.entry])).toEqual([
      ['AlphaFunction', join('functions', 'alpha', 'handler.ts')],
    ]);
    const bundleDir = rebundled[0]?.bundleDir ?? '';
    expect(dirname(bundleDir)).toBe(join(project, 'cdk.hot.out'));
    expect((await readdir(bundleDir)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(await readFile(join(bundleDir, 'index.mjs'), 'utf8')).toContain('alpha v2');
    // The synth's bundle is left alone.
    expect(await readFile(join(alpha.bundleDir, 'index.mjs'), 'utf8')).toContain('alpha v1');
    // …and is byte for byte what the synth writes for the same sources.
    expect(await sameBundle(bundleDir, synthBundle('functions/alpha/handler.ts', 'asset.v2'))).toBe(
      true
    );
    alpha = { ...alpha, bundleDir };
  });

  it('finds the functions a shared file reaches, from the inputs of the last bundle', async () => {
    // Prepare
    await edit('functions/shared/greeting.ts', "'hello'", "'hi'");

    // Act
    const rebundled = await bundler.rebundle(
      [alpha, beta],
      [join(project, 'functions/shared/greeting.ts')]
    );

    // Assess
    expect(rebundled.map((result) => result.fn.logicalId)).toEqual(['AlphaFunction']);
    const bundleDir = rebundled[0]?.bundleDir ?? '';
    expect(bundleDir).not.toBe(alpha.bundleDir);
    expect(await readFile(join(bundleDir, 'index.mjs'), 'utf8')).toContain('hi');
    alpha = { ...alpha, bundleDir };
  });

  it('reports a function whose bundle came out the same without writing anything', async () => {
    // Prepare: a comment after the code (one before it would move the source map's positions).
    await edit('functions/beta/handler.ts', "'beta v1';\n", "'beta v1';\n// a comment\n");
    const before = await readdir(bundler.hotRoot);

    // Act
    const rebundled = await bundler.rebundle(
      [alpha, beta],
      [join(project, 'functions/beta/handler.ts')]
    );

    // Assess
    expect(rebundled).toEqual([
      { fn: beta, entry: join('functions', 'beta', 'handler.ts'), bundleDir: undefined },
    ]);
    expect(await readdir(bundler.hotRoot)).toEqual(before);
  });

  it('bundles nothing for a change no bundle read', async () => {
    // Act
    const rebundled = await bundler.rebundle(
      [alpha, beta],
      [join(project, 'functions/shared/unused.ts'), join(project, 'functions/notes.txt')]
    );

    // Assess
    expect(rebundled).toEqual([]);
  });

  it('leaves a bundle the synth built some other way to the synth', async () => {
    // Prepare: `index.js`, as NodejsFunction names it, where the synth's options write index.mjs.
    const dir = join(project, 'cdk.out', 'asset.other');
    buildSync({
      ...bundleBuildOptions(join(project, 'functions/beta/handler.ts'), dir),
      outfile: join(dir, 'index.js'),
    });
    const other = fn('Other', dir);

    // Act
    const rebundled = await bundler.rebundle([other], [join(project, 'functions/beta/handler.ts')]);

    // Assess
    expect((await bundler.inputsOf(dir)) ?? 'unknown').toBe('unknown');
    expect(rebundled).toEqual([]);
  });

  it("fails with esbuild's error and writes nothing when an edit does not compile", async () => {
    // Prepare
    await edit('functions/alpha/handler.ts', 'export const handler', 'export const handler =');
    const before = await readdir(bundler.hotRoot);

    // Act
    const failure = await bundler
      .rebundle([alpha, beta], [join(project, 'functions/alpha/handler.ts')])
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(RebundleError);
    expect((failure as Error).message).toMatch(
      /^bundling functions\/alpha\/handler\.ts failed: Build failed with 1 error:\n.*functions\/alpha\/handler\.ts:2:\d+: ERROR: /
    );
    expect(await readdir(bundler.hotRoot)).toEqual(before);
  });

  it("tells which changed files the CDK app's own modules read", async () => {
    // Act
    const read = await bundler.appReads([
      join(project, 'functions/shared/contract.ts'),
      join(project, 'functions/shared/greeting.ts'),
      join(project, 'functions/alpha/handler.ts'),
    ]);

    // Assess: the contract only (through lib/), not the function code.
    expect(read).toEqual([join(project, 'functions/shared/contract.ts')]);
  });

  it('sees a file the CDK app starts to read once told that its modules changed', async () => {
    // Prepare
    const greeting = join(project, 'functions/shared/greeting.ts');
    expect(await bundler.appReads([greeting])).toEqual([]);
    await writeFile(
      join(project, 'lib/stack.ts'),
      "export { ENV } from '../functions/shared/contract.ts';\nexport { greeting } from '../functions/shared/greeting.ts';\n"
    );

    // Act
    bundler.appChanged();
    const read = await bundler.appReads([greeting]);

    // Assess
    expect(read).toEqual([greeting]);
  });

  it('tells whether a function is under functions/', () => {
    // Assess
    expect(bundler.isFunctionsFile(join(project, 'functions/alpha/handler.ts'))).toBe(true);
    expect(bundler.isFunctionsFile(join(project, 'functions'))).toBe(false);
    expect(bundler.isFunctionsFile(join(project, 'lib/x.ts'))).toBe(false);
    expect(bundler.isFunctionsFile(join(project, 'functions/node_modules/x/index.js'))).toBe(false);
  });

  it('removes the directories it wrote when disposed', async () => {
    // Prepare
    const written = alpha.bundleDir;
    expect(bundler.wrote(written)).toBe(true);

    // Act
    await bundler.dispose();

    // Assess
    expect(existsSync(written)).toBe(false);
    expect(existsSync(bundler.hotRoot)).toBe(false);
    expect(existsSync(join(project, 'cdk.out', 'asset.alpha', 'index.mjs'))).toBe(true);
  });
});

describe('HotBundler on a project reached through a symlink', () => {
  let real: string;
  let linked: string;
  let bundler: HotBundler;

  beforeAll(async () => {
    real = await makeProject('hot-reload-real-');
    linked = `${real}-link`;
    await symlink(real, linked, 'dir');
  });

  afterAll(async () => {
    await bundler?.dispose();
    await rm(linked, { force: true });
    await rm(real, { recursive: true, force: true });
  });

  it('bundles again a function after an edit seen through the symlink', async () => {
    // Prepare: paths as the runtime has them, under the symlink (watcher and assembly).
    const dir = join(linked, 'cdk.out', 'asset.alpha');
    buildSync(bundleBuildOptions(join(linked, 'functions/alpha/handler.ts'), dir));
    const alpha = localFunction('Alpha', dir);
    bundler = new HotBundler({ projectDir: linked, outdir: join(linked, 'cdk.out') });
    await bundler.warmUp([alpha]);
    const handler = join(linked, 'functions/alpha/handler.ts');
    await writeFile(handler, (await readFile(handler, 'utf8')).replace('alpha v1', 'alpha v2'));

    // Act
    const rebundled = await bundler.rebundle([alpha], [handler]);

    // Assess
    expect(bundler.isFunctionsFile(handler)).toBe(true);
    expect(rebundled.map((result) => result.fn.logicalId)).toEqual(['AlphaFunction']);
    expect(await readFile(join(rebundled[0]?.bundleDir ?? '', 'index.mjs'), 'utf8')).toContain(
      'alpha v2'
    );
    expect(await bundler.appReads([join(linked, 'functions/shared/contract.ts')])).toEqual([
      join(linked, 'functions/shared/contract.ts'),
    ]);
  });
});

describe('HotBundler stopped while bundling', () => {
  let project: string;

  beforeAll(async () => {
    project = await makeProject('hot-reload-stop-');
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('fails the bundle at once, and starts none after', async () => {
    // Prepare
    const alpha = localFunction('Alpha', join(project, 'cdk.out', 'asset.alpha'));
    buildSync(bundleBuildOptions(join(project, 'functions/alpha/handler.ts'), alpha.bundleDir));
    const bundler = new HotBundler({ projectDir: project, outdir: join(project, 'cdk.out') });
    await bundler.warmUp([alpha]);
    const changes = [join(project, 'functions/alpha/handler.ts')];
    const running = bundler.rebundle([alpha], changes).catch((error: unknown) => error);
    // The build reaches esbuild, which takes far longer than this to answer.
    await new Promise((done) => setImmediate(done));

    // Act
    await bundler.stop();
    const failure = await running;
    const after = await bundler.rebundle([alpha], changes).catch((error: unknown) => error);
    await bundler.dispose();

    // Assess
    expect(failure).toBeInstanceOf(RebundleError);
    expect((failure as Error).message).toMatch(
      /^bundling functions\/alpha\/handler\.ts failed: the bundler was stopped$/
    );
    expect((after as Error).message).toMatch(
      /^the in-process bundler did not start: the bundler was stopped$/
    );
  });
});
