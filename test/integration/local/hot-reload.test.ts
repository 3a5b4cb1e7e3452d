/**
 * The hot reload's in-process bundler on a small project in a temporary directory: bundles built
 * the way the synth builds them (its own esbuild options, into `cdk.out/asset.*`), then edits.
 * Real esbuild, real worker thread, real files.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotBundler, RebundleError, sameBundle } from '../../../lib/local/hot-reload.ts';
import type { LocalFunction } from '../../../lib/local/model.ts';
import { bundleBuildOptions } from '../../../lib/pipeline/esbuild-bundling.ts';

const SOURCES: Record<string, string> = {
  'functions/shared/greeting.ts': "export const greeting = (): string => 'hello';\n",
  'functions/shared/unused.ts': 'export const unused = 1;\n',
  'functions/alpha/handler.ts':
    "import { greeting } from '../shared/greeting.ts';\nexport const handler = async () => greeting() + ' from alpha v1';\n",
  'functions/beta/handler.ts': "export const handler = async () => 'beta v1';\n",
};

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

  function fn(name: string, bundleDir: string): LocalFunction {
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

  async function edit(file: string, from: string, to: string): Promise<void> {
    const path = join(project, file);
    await writeFile(path, (await readFile(path, 'utf8')).replace(from, to));
  }

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'hot-reload-'));
    for (const [file, text] of Object.entries(SOURCES)) {
      await mkdir(dirname(join(project, file)), { recursive: true });
      await writeFile(join(project, file), text);
    }
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
