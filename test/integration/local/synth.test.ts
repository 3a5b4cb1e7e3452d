/**
 * The local runtime's synth on a tiny CDK app (one empty stack) in a temporary project: the
 * stamp that lets a later start reuse `cdk.out` must name the inputs the assembly was built from.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inputsHash,
  isEditorTempFile,
  SYNTH_STAMP_FILE,
  synthesize,
} from '../../../lib/local/synth.ts';

const PROJECT = resolve(import.meta.dirname, '../../..');

/**
 * The app: when `save-during-synth` holds text, it writes that text to `lib/input.txt` while it
 * runs (an editor's save landing after the synth hashed its inputs), and removes the marker.
 */
const APP = `import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';

if (existsSync('save-during-synth')) {
  writeFileSync('lib/input.txt', readFileSync('save-during-synth', 'utf8'));
  rmSync('save-during-synth');
}
const app = new App();
new Stack(app, 'Tiny');
app.synth();
`;

describe('synthesize', () => {
  let project: string;
  const synth = () => synthesize({ projectDir: project, app: 'node app.mjs' });

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'synth-'));
    await mkdir(join(project, 'lib'));
    await writeFile(join(project, 'lib/input.txt'), 'v1');
    await writeFile(join(project, 'app.mjs'), APP);
    await writeFile(join(project, 'cdk.json'), JSON.stringify({ notices: false }));
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'synth-fixture', private: true, type: 'module' })
    );
    await symlink(join(PROJECT, 'node_modules'), join(project, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('stamps the assembly and reuses it while the inputs are the same', async () => {
    // Act
    const first = await synth();
    const second = await synth();

    // Assess
    expect(first.reused).toBe(false);
    expect(existsSync(join(project, 'cdk.out', SYNTH_STAMP_FILE))).toBe(true);
    expect(second.reused).toBe(true);
  }, 60_000);

  it('does not stamp an assembly whose inputs changed while the CDK app ran', async () => {
    // Prepare: v2 is hashed, the app then builds from v3.
    await writeFile(join(project, 'lib/input.txt'), 'v2');
    await writeFile(join(project, 'save-during-synth'), 'v3');

    // Act
    const during = await synth();
    const stamped = existsSync(join(project, 'cdk.out', SYNTH_STAMP_FILE));
    // The editor's undo: back to v2, which the stamp must not claim.
    await writeFile(join(project, 'lib/input.txt'), 'v2');
    const after = await synth();

    // Assess
    expect(during.reused).toBe(false);
    expect(stamped).toBe(false);
    expect(after.reused).toBe(false);
  }, 60_000);

  it("leaves editors' temporary files out of the inputs", async () => {
    // Prepare
    const before = await inputsHash(project);

    // Act
    for (const name of ['input.txt~', '.input.txt.swp', '4913', '.#input.txt', 'x.tmp']) {
      await writeFile(join(project, 'lib', name), 'scratch');
    }
    const after = await inputsHash(project);

    // Assess
    expect(after).toBe(before);
    expect(isEditorTempFile(join(project, 'lib/input.txt'))).toBe(false);
    expect(isEditorTempFile('#input.txt#')).toBe(true);
  });
});
