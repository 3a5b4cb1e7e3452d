/**
 * The shared esbuild options live in a module without aws-cdk-lib, so the local runtime's hot
 * reload bundles with them on its main thread without loading the CDK.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as bundling from '../../../lib/pipeline/esbuild-bundling.ts';
import * as options from '../../../lib/pipeline/esbuild-options.ts';

const PROJECT = resolve(import.meta.dirname, '../../..');

describe('esbuild options', () => {
  it('are the ones the synth bundles with', () => {
    // Assess
    expect(bundling.ESBUILD_OPTIONS).toBe(options.ESBUILD_OPTIONS);
    expect(bundling.bundleBuildOptions).toBe(options.bundleBuildOptions);
    expect(bundling.BUNDLE_FILE).toBe(options.BUNDLE_FILE);
  });

  it("leave aws-cdk-lib out of the hot reload's module graph", async () => {
    // Act
    const result = await build(
      options.moduleGraphBuildOptions(resolve(PROJECT, 'lib/local/hot-reload.ts'), PROJECT)
    );
    const packages = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((item) => item.external).map((item) => item.path)
    );

    // Assess
    expect(packages).toContain('esbuild');
    expect(packages.filter((name) => /^(aws-cdk-lib|constructs)(\/|$)/.test(name))).toEqual([]);
  });
});
