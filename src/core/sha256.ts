/** Input fingerprints: SHA-256 through WebCrypto, the same in Node and browsers. */

/** Lower-case hex SHA-256 of the bytes, via WebCrypto `crypto.subtle` (Node ≥ 19 and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) throw new Error('sha256Hex: WebCrypto subtle is not available in this environment');
  // Copy into a plain ArrayBuffer-backed view (the API rejects SharedArrayBuffer views).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', copy));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
