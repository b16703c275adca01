/**
 * The custodian's fingerprint key: a random secret that keys the receipt's identifier of a private
 * input (HMAC-SHA-256(key, SHA-256(file))). It lives on the custodian's machine and is never
 * written into a release, so the identifier reveals nothing about the data to a reader of the
 * receipt, while the custodian can recompute it to tell which file a release came from.
 *
 * Where: `--fingerprint-key FILE`, else `fingerprint.key` in the custodian's config directory
 * ($DPCONDENSE_CONFIG_DIR, else $XDG_CONFIG_HOME/dpcondense, else ~/.config/dpcondense). A missing
 * key file is created on first use: 32 bytes from the operating system's secure generator, written
 * as hex, readable by its owner only (mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { keyedFingerprint, type InputFingerprint } from '../privacy/index.js';
import { UsageError, type TextWriter } from './context.js';

const KEY_BYTES = 32;

export function defaultFingerprintKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DPCONDENSE_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'dpcondense');
  return join(dir, 'fingerprint.key');
}

/** Read the key at `path`, creating it first if absent; `created` says whether it was. */
export function loadOrCreateFingerprintKey(path: string): { key: Uint8Array; created: boolean } {
  let created = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx' fails if the file exists, so a key is never overwritten (and two runs cannot race).
    writeFileSync(path, randomBytes(KEY_BYTES).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`fingerprint key ${path}: ${(error as Error).message}`);
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!/^(?:[0-9a-f]{2}){16,}$/i.test(text)) throw new UsageError(`fingerprint key ${path}: expected at least 16 bytes as hex`);
  return { key: Uint8Array.from(text.match(/../g)!.map((h) => parseInt(h, 16))), created };
}

/**
 * The receipt's identifier of the input: a bundled dataset is public, so its plain SHA-256; a
 * user's file is keyed with the custodian's secret (`--fingerprint-key`, else the default key file).
 */
export async function receiptFingerprint(source: { dataset?: string; fingerprintKey?: string }, sha256: string, stderr: TextWriter): Promise<InputFingerprint> {
  if (source.dataset) return { algorithm: 'SHA-256', hex: sha256 };
  const path = source.fingerprintKey ?? defaultFingerprintKeyPath();
  const { key, created } = loadOrCreateFingerprintKey(path);
  if (created) stderr.write(`created the fingerprint key ${path}: keep it, and never ship it with a release\n`);
  return keyedFingerprint(key, sha256);
}
