import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleAssetHash } from '../../../lib/pipeline/bundle-hash.ts';
import { constructIdFor } from '../../../lib/pipeline/construct-id.ts';

/** A throwaway project with the files a bundle depends on. */
function projectWith(handler: string): string {
  const root = mkdtempSync(join(tmpdir(), 'bundle-hash-'));
  mkdirSync(join(root, 'functions', 'audit'), { recursive: true });
  writeFileSync(join(root, 'functions', 'audit', 'handler.ts'), handler);
  writeFileSync(join(root, 'package-lock.json'), '{}');
  writeFileSync(join(root, 'tsconfig.json'), '{}');
  return root;
}

describe('bundleAssetHash', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is the same for the same sources, entry and options', () => {
    // Prepare
    const first = projectWith('export const handler = 1;');
    const second = projectWith('export const handler = 1;');
    roots.push(first, second);

    // Act / Assess
    expect(bundleAssetHash(first, 'functions/audit/handler.ts', { minify: true })).toBe(
      bundleAssetHash(second, 'functions/audit/handler.ts', { minify: true })
    );
  });

  it('changes with the function code, the entry and the bundling options', () => {
    // Prepare
    const base = projectWith('export const handler = 1;');
    const changed = projectWith('export const handler = 2;');
    roots.push(base, changed);
    const hash = bundleAssetHash(base, 'functions/audit/handler.ts', { minify: true });

    // Act / Assess
    expect(bundleAssetHash(changed, 'functions/audit/handler.ts', { minify: true })).not.toBe(hash);
    expect(bundleAssetHash(base, 'functions/other/handler.ts', { minify: true })).not.toBe(hash);
    expect(bundleAssetHash(base, 'functions/audit/handler.ts', { minify: false })).not.toBe(hash);
  });
});

describe('bundleAssetHash per function', () => {
  it('changes with shared code, not with another function’s code', () => {
    // Prepare: two functions and a shared folder
    const root = mkdtempSync(join(tmpdir(), 'bundle-hash-'));
    for (const folder of ['audit', 'payments', 'shared']) {
      mkdirSync(join(root, 'functions', folder), { recursive: true });
    }
    writeFileSync(join(root, 'functions', 'audit', 'handler.ts'), 'export const a = 1;');
    writeFileSync(join(root, 'functions', 'payments', 'handler.ts'), 'export const p = 1;');
    writeFileSync(join(root, 'functions', 'shared', 'util.ts'), 'export const u = 1;');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    const hashes = () => [
      bundleAssetHash(root, 'functions/audit/handler.ts', {}),
      bundleAssetHash(root, 'functions/payments/handler.ts', {}),
    ];
    const [audit, payments] = hashes();

    // Act: edit payments in a new file (the per-file cache keys on the path), then shared code
    writeFileSync(join(root, 'functions', 'payments', 'core.ts'), 'export const c = 2;');
    const [auditAfterPaymentsEdit, paymentsAfterEdit] = hashes();
    writeFileSync(join(root, 'functions', 'shared', 'more.ts'), 'export const m = 1;');
    const [auditAfterSharedEdit] = hashes();

    // Assess
    expect(auditAfterPaymentsEdit).toBe(audit);
    expect(paymentsAfterEdit).not.toBe(payments);
    expect(auditAfterSharedEdit).not.toBe(audit);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('constructIdFor', () => {
  it('turns a dashed definition name into a PascalCase construct id', () => {
    // Act / Assess
    expect(constructIdFor('order-events')).toBe('OrderEvents');
    expect(constructIdFor('payments')).toBe('Payments');
  });
});
