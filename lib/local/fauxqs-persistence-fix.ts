/**
 * Works around a fauxqs 2.4.1 persistence bug that `npm start -- --persist` (and the soak's
 * restart) exposes.
 *
 * With persistence on, `ChangeMessageVisibility` to 0 runs `PersistenceManager.updateMessageReady`,
 * which sets `approximate_receive_count` to NULL in a column declared NOT NULL: SQLite throws,
 * and the action fails half-way, after the message has left the in-flight set and before it is
 * put back in the queue. The message then sits nowhere in memory (it reappears only after a
 * restart, from the database), and on a FIFO queue its message group stays locked for good, so
 * every later message of the group is stuck too. The consumer runtime sets visibility 0 on a
 * retry whose jittered backoff is 0 s, and on FIFO records it skips; the local poller does on
 * stop. Seen in the soak as "lost" deliveries and a FIFO queue that never drains.
 *
 * The fix replaces `updateMessageReady` with an update that clears only the in-flight columns
 * (receipt handle and visibility deadline), keeping the receive count as it is, which is what
 * the in-memory store keeps. It patches the class that the local runtime loads (the same module
 * file, so the same class), once per process.
 *
 * Applied by the emulator setup (`emulators.ts`) whenever persistence is on.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface PersistenceManagerShape {
  db: { prepare(sql: string): { run(...values: unknown[]): unknown } };
  updateMessageReady(messageId: string): void;
}

const PATCHED = Symbol.for('event-pipeline.fauxqs-update-message-ready');

/** Patches fauxqs's `PersistenceManager.updateMessageReady` (idempotent). */
export async function fixFauxqsPersistence(): Promise<void> {
  const dist = join(fauxqsDirectory(), 'dist');
  const { PersistenceManager } = (await import(
    pathToFileURL(join(dist, 'persistence.js')).href
  )) as { PersistenceManager: { prototype: PersistenceManagerShape & { [PATCHED]?: true } } };
  const prototype = PersistenceManager.prototype;
  if (prototype[PATCHED]) return;
  const statements = new WeakMap<object, { run(...values: unknown[]): unknown }>();
  prototype.updateMessageReady = function updateMessageReady(
    this: PersistenceManagerShape,
    messageId: string
  ): void {
    let statement = statements.get(this);
    if (!statement) {
      statement = this.db.prepare(
        'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?'
      );
      statements.set(this, statement);
    }
    statement.run(messageId);
  };
  prototype[PATCHED] = true;
}

function fauxqsDirectory(): string {
  // fauxqs exports only its entry point, so its folder is found on the resolution paths.
  const paths = createRequire(import.meta.url).resolve.paths('fauxqs') ?? [];
  for (const base of paths) {
    if (existsSync(join(base, 'fauxqs', 'package.json'))) return join(base, 'fauxqs');
  }
  throw new Error('cannot find the fauxqs package');
}
