import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssemblyError,
  BundlingSkippedError,
  functionBundle,
  readAssembly,
} from '../../../lib/local/assembly.ts';
import { LOCAL_SYNTH_CONTEXT, synthesize } from '../../../lib/local/synth.ts';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/assemblies/shop-like/assembly');
const PROJECT = resolve(import.meta.dirname, '../../..');
const WORKER = 'Worker11F36D0F';

describe('readAssembly on the fixture assembly', () => {
  it('reads the stack, its template and its asset manifest', async () => {
    // Act
    const assembly = await readAssembly(FIXTURE);

    // Assess
    expect(assembly.directory).toBe(FIXTURE);
    expect(assembly.stacks.map((stack) => stack.stackName)).toEqual(['ShopLike']);
    const stack = assembly.stacks[0];
    expect(stack?.templateFile).toBe(join(FIXTURE, 'ShopLike.template.json'));
    expect(stack?.template.Resources?.[WORKER]?.Type).toBe('AWS::Lambda::Function');
    expect([...(stack?.assets.values() ?? [])].map((asset) => asset.packaging).sort()).toEqual([
      'file',
      'zip',
    ]);
  });

  it('maps a function to its bundle directory through Code.S3Key and the asset manifest', async () => {
    // Prepare
    const [stack] = (await readAssembly(FIXTURE)).stacks;
    if (!stack) throw new Error('fixture has no stack');
    const resource = stack.template.Resources?.[WORKER];
    if (!resource) throw new Error('fixture has no worker');

    // Act
    const bundle = functionBundle(stack, WORKER, resource);

    // Assess
    expect(bundle.directory).toMatch(/\/assembly\/asset\.[0-9a-f]{64}$/);
    expect(bundle.asset.bundlingSkipped).toBe(false);
    expect(await readFile(join(bundle.directory, 'index.mjs'), 'utf8')).toContain('FIXTURE_MARKER');
  });

  it('fails if the directory has no manifest.json', async () => {
    // Prepare
    const empty = await mkdtemp(join(tmpdir(), 'no-assembly-'));

    // Act & Assess
    try {
      await expect(readAssembly(empty)).rejects.toThrow(
        /no cloud assembly in .* \(manifest\.json is missing\): run `npx cdk synth` first/
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  describe('on a copy with bundling skipped and inline code', () => {
    let copy: string;

    beforeAll(async () => {
      copy = await mkdtemp(join(tmpdir(), 'skipped-assembly-'));
      await cp(FIXTURE, copy, { recursive: true });
      // What `cdk ls` leaves behind: the asset points at the unbundled source, absolutely.
      const manifestFile = join(copy, 'ShopLike.assets.json');
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
      for (const entry of Object.values<{ source: { path: string; packaging: string } }>(
        manifest.files
      )) {
        if (entry.source.packaging === 'zip') entry.source.path = '/work/src/handler';
      }
      await writeFile(manifestFile, JSON.stringify(manifest));
    });

    afterAll(async () => {
      await rm(copy, { recursive: true, force: true });
    });

    it('fails if the bundle was not built, saying so', async () => {
      // Prepare
      const [stack] = (await readAssembly(copy)).stacks;
      if (!stack) throw new Error('copy has no stack');
      const resource = stack.template.Resources?.[WORKER];
      if (!resource) throw new Error('copy has no worker');

      // Act & Assess
      expect(() => functionBundle(stack, WORKER, resource)).toThrow(BundlingSkippedError);
      expect(() => functionBundle(stack, WORKER, resource)).toThrow(
        /the code of Worker11F36D0F was not bundled \(its asset points at the source \/work\/src\/handler\).*synthesize again/
      );
    });

    it('fails if a function has inline code', async () => {
      // Prepare
      const [stack] = (await readAssembly(copy)).stacks;
      if (!stack) throw new Error('copy has no stack');
      const resource = {
        Type: 'AWS::Lambda::Function',
        Properties: { Code: { ZipFile: 'exports.handler=()=>1' } },
      };

      // Act & Assess
      expect(() => functionBundle(stack, 'Inline', resource)).toThrow(AssemblyError);
      expect(() => functionBundle(stack, 'Inline', resource)).toThrow(
        /Inline\.Properties\.Code uses inline code \(ZipFile\), which the local runtime does not run/
      );
    });
  });
});

describe('readAssembly on the real app', () => {
  it('finds a bundled index file for every function of the synthesized pipeline', {
    timeout: 300_000,
  }, async () => {
    // Prepare
    const { outdir } = await synthesize({ projectDir: PROJECT, context: LOCAL_SYNTH_CONTEXT });

    // Act
    const assembly = await readAssembly(outdir);

    // Assess
    expect(assembly.stacks.length).toBeGreaterThan(0);
    let functions = 0;
    for (const stack of assembly.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        functions += 1;
        const bundle = functionBundle(stack, logicalId, resource);
        expect(
          ['index.mjs', 'index.js'].some((file) => existsSync(join(bundle.directory, file))),
          `${logicalId} has a bundled index file in ${bundle.directory}`
        ).toBe(true);
      }
    }
    expect(functions).toBeGreaterThan(0);
  });
});
