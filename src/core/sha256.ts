/** Input fingerprints: SHA-256 and HMAC-SHA-256 through WebCrypto, the same in Node and browsers. */

/** Lower-case hex SHA-256 of the bytes, via WebCrypto `crypto.subtle` (Node ≥ 19 and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await webCrypto('sha256Hex').digest('SHA-256', plainCopy(bytes)));
}

/**
 * Lower-case hex HMAC-SHA-256 of `message` under `key` (WebCrypto). With a secret key the result
 * reveals nothing about the message to anyone without the key, yet the key holder can recompute it.
 */
export async function hmacSha256Hex(key: Uint8Array, message: Uint8Array): Promise<string> {
  const subtle = webCrypto('hmacSha256Hex');
  const cryptoKey = await subtle.importKey('raw', plainCopy(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(await subtle.sign('HMAC', cryptoKey, plainCopy(message)));
}

function webCrypto(caller: string): SubtleCrypto {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) throw new Error(`${caller}: WebCrypto subtle is not available in this environment`);
  return subtle;
}

/** A plain ArrayBuffer-backed copy (WebCrypto rejects SharedArrayBuffer views). */
function plainCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

function toHex(buffer: ArrayBuffer): string {
  let hex = '';
  for (const b of new Uint8Array(buffer)) hex += b.toString(16).padStart(2, '0');
  return hex;
}
