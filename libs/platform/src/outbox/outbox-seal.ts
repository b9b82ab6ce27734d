import { Injectable } from '@nestjs/common';
import { DecryptionError, EnvelopeCipher, pooledRandomBytes } from '../crypto/envelope-cipher';
import { KeyedHash } from '../crypto/keyed-hash';
import {
  JOB_NAMES,
  OutboxJob,
  PHYSICAL_QUEUE_OF,
  PhysicalQueue,
  QueueName,
} from '../queue/queue.contract';

/** What a sealed job holds: everything about it that would say what it is for. */
export interface OpenedJob {
  queue: QueueName;
  name: string;
  payload: Record<string, unknown>;
  /** A timer: not before this moment (ms since the epoch); now for any other job. */
  runAt?: number;
}

/** A job as it is stored and sent: its pseudonymous key and its sealed content. */
export interface SealedJob {
  physicalQueue: PhysicalQueue;
  jobKey: string;
  sealed: Buffer;
}

const KEY_DOMAIN = 'outbox-job-key';
/** The most jobs the relay's opening is kept for (a timer's until it is due, or pushed out). */
const MAX_REMEMBERED = 10_000;
const KEY_LABEL = 'mayak:outbox-job:v1';

/**
 * The job key of a job: a keyed pseudonym of the programmer's key (`check-ack-<case>-t1-r2`)
 * when it has one, so that the same job is still written once, or else a random value of the
 * same form. Either way 'j' and 32 hex digits: without the pseudonym key no one can tell a
 * timer's or a page's key from an ordinary job's, nor test a guessed case id against it. It
 * is also the job's BullMQ id.
 */
export function outboxJobKey(hash: KeyedHash, key?: string): string {
  const bytes = key ? hash.pseudonym(KEY_DOMAIN, key).subarray(0, 16) : pooledRandomBytes(16);
  return `j${bytes.toString('hex')}`;
}

/**
 * Seals and opens outbox jobs. A job's logical queue, name, payload and run time are sealed
 * with AES-256-GCM under a key derived from the pseudonym key (never rotated, so a job written
 * before a rotation still opens), bound to the outbox and to the job's key: a blob moved to
 * another row or another BullMQ job does not open. The same blob is the outbox row's `sealed`
 * column and the BullMQ job's data, so a seizure of the database, its WAL or Redis reads
 * neither a case id nor which service a job serves.
 */
@Injectable()
export class OutboxSeal {
  /** Jobs this process's relay opened and sent, by job key, until its worker takes them. */
  private readonly sent = new Map<string, { sealed: string; job: OpenedJob }>();

  constructor(
    private readonly hash: KeyedHash,
    private readonly cipher: EnvelopeCipher,
  ) {}

  seal(job: OutboxJob): SealedJob {
    const jobKey = outboxJobKey(this.hash, job.key);
    return {
      physicalQueue: PHYSICAL_QUEUE_OF[job.queue],
      jobKey,
      sealed: this.sealContent(jobKey, {
        queue: job.queue,
        name: job.name,
        payload: job.payload,
        runAt: job.runAt?.getTime(),
      }),
    };
  }

  sealContent(jobKey: string, content: OpenedJob): Buffer {
    return this.cipher.encrypt(
      this.key(),
      binding(jobKey),
      JSON.stringify({ q: content.queue, n: content.name, p: content.payload, r: content.runAt }),
    );
  }

  /** Opens a sealed job; throws DecryptionError for anything not sealed for this key. */
  open(jobKey: string, sealed: Buffer): OpenedJob {
    const raw = JSON.parse(this.cipher.decrypt(this.key(), binding(jobKey), sealed)) as {
      q?: unknown;
      n?: unknown;
      p?: unknown;
      r?: unknown;
    };
    const queue = raw.q as QueueName;
    if (
      typeof raw.q !== 'string' ||
      !Object.prototype.hasOwnProperty.call(JOB_NAMES, raw.q) ||
      typeof raw.n !== 'string' ||
      typeof raw.p !== 'object' ||
      raw.p === null ||
      (raw.r !== undefined && typeof raw.r !== 'number')
    )
      throw new DecryptionError();
    return {
      queue,
      name: raw.n,
      payload: raw.p as Record<string, unknown>,
      runAt: raw.r,
    };
  }

  /**
   * The relay opened `sealed` (its base64, as sent in the job's data) and sends it as `jobKey`:
   * the worker of this process, taking the job, need not open it again (`openSent`).
   */
  remember(jobKey: string, sealed: string, job: OpenedJob): void {
    this.sent.delete(jobKey);
    this.sent.set(jobKey, { sealed, job });
    if (this.sent.size > MAX_REMEMBERED) this.sent.delete(this.sent.keys().next().value!);
  }

  /**
   * A job as the worker receives it: what the relay opened, if it sent exactly this blob under
   * this key (once: it is forgotten as it is taken), or else opened here. Throws
   * DecryptionError for anything not sealed for this key.
   */
  openSent(jobKey: string, sealed: string): OpenedJob {
    const known = this.sent.get(jobKey);
    if (known) {
      this.sent.delete(jobKey);
      if (known.sealed === sealed) return known.job;
    }
    return this.open(jobKey, Buffer.from(sealed, 'base64'));
  }

  /** Forgets every job `remember` kept: on a seal, no opened job stays in memory. */
  forgetSent(): void {
    this.sent.clear();
  }

  private key() {
    return this.hash.derivedDataKey(KEY_LABEL);
  }
}

function binding(jobKey: string) {
  return { table: 'outbox', id: jobKey, column: 'sealed' };
}
