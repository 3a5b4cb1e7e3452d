/**
 * A throwaway copy of the project for measurements that need a fresh `cdk.out` or an edited
 * handler: the synth inputs are copied, `node_modules` is a symlink, and the checkout itself is
 * never touched.
 */
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** What the copy holds besides `node_modules` (the synth's inputs and the CLI's configuration). */
export const COPIED = [
  'bin',
  'lib',
  'functions',
  'cdk.json',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
] as const;

/** A temporary copy of a project. */
export interface ProjectCopy {
  /** Absolute path of the copy. */
  readonly dir: string;
  /** Deletes the copy. */
  remove(): Promise<void>;
}

/** Copies `projectDir` into a new temporary directory, without its `cdk.out`. */
export async function copyProject(projectDir: string): Promise<ProjectCopy> {
  const source = resolve(projectDir);
  const dir = await mkdtemp(join(tmpdir(), 'pipeline-bench-'));
  for (const entry of COPIED) {
    await cp(join(source, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(source, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
