import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';

/**
 * SHA-256 (or HMAC-SHA-256 with a secret) in the `Checksum` shape `@smithy/signature-v4`
 * expects, on node:crypto, so that signing needs no extra hashing package.
 */
export class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  /** Feeds data into the hash. */
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }

  /** Returns the digest. */
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  /** Starts over with the same secret. */
  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', toBinary(this.secret));
  }
}

function toBinary(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
