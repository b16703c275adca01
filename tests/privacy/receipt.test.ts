import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PrivacyLedger } from '../../src/privacy/ledger.js';
import { dpClassCounts, dpMeanAndSpread } from '../../src/privacy/statistics.js';
import { CryptoRng } from '../../src/privacy/random.js';
import { RECEIPT_FORMAT, buildReceipt, sha256Hex } from '../../src/privacy/receipt.js';

const software = { name: 'dpcondense', version: '0.1.0' };
const FINGERPRINT = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function runPreprocessing(ledger: PrivacyLedger, rng: CryptoRng | SeededRng) {
  const labels = Uint8Array.from({ length: 200 }, (_, i) => i % 2);
  const ages = Float64Array.from({ length: 200 }, (_, i) => 20 + (i % 60));
  dpClassCounts(labels, ledger, { noiseMultiplier: 8, numClasses: 2, purpose: 'class weights' }, rng);
  dpMeanAndSpread(ages, [0, 120], ledger, { noiseMultiplier: 8, name: 'age_moments' }, rng);
  ledger.charge({ kind: 'subsampled_gaussian', name: 'zero_order_steps', noiseMultiplier: 1.2, samplingRate: 0.05, steps: 200 });
}

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(FINGERPRINT);
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('buildReceipt', () => {
  it('lists every ledger entry, the totals, software, fingerprint and parameters', () => {
    const ledger = new PrivacyLedger({ epsilon: 5, delta: 1e-5 });
    runPreprocessing(ledger, new CryptoRng());
    const receipt = buildReceipt(ledger, {
      software,
      inputFingerprint: FINGERPRINT,
      parameters: { sigma: 1.2, clipNorm: 1, q: 0.05, steps: 200, directions: 8, smoothing: 0.05 },
      privateRelease: true,
      createdAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(receipt.format).toBe(RECEIPT_FORMAT);
    expect(receipt.private_release).toBe(true);
    expect(receipt.reasons_not_private).toEqual([]);
    const entries = ledger.entries();
    expect(receipt.entries.length).toBe(entries.length);
    expect(receipt.entries.map((e) => e.name)).toEqual(['dp_class_counts', 'age_moments', 'zero_order_steps']);
    expect(receipt.entries[2]).toMatchObject({ kind: 'subsampled_gaussian', noise_multiplier: 1.2, sampling_rate: 0.05, steps: 200 });
    expect(receipt.entries[0].purpose).toBe('class weights');
    receipt.entries.forEach((e, i) => expect(e.epsilon_after).toBe(entries[i].epsilonAfter));
    expect(receipt.epsilon).toBe(ledger.spent().epsilon);
    expect(receipt.delta).toBe(1e-5);
    expect(receipt.accountant).toBe('rdp');
    expect(receipt.software).toEqual(software);
    expect(receipt.input_fingerprint).toEqual({ algorithm: 'SHA-256', hex: FINGERPRINT });
    expect(receipt.parameters).toMatchObject({ sigma: 1.2, steps: 200 });
    expect(receipt.created_at).toBe('2025-01-02T03:04:05.000Z');
    expect(receipt.randomness).toEqual({ registered: true, reproducible: false, cryptographically_secure: true });
    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(receipt))).toEqual(receipt);
  });

  it('reports the PLD bracket next to the RDP ε when asked', () => {
    const ledger = new PrivacyLedger({ epsilon: 5, delta: 1e-5 });
    runPreprocessing(ledger, new CryptoRng());
    const receipt = buildReceipt(ledger, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true, pld: true });
    const pld = receipt.epsilon_pld!;
    expect(typeof pld.upper).toBe('number');
    expect(pld.upper as number).toBeLessThan(receipt.epsilon as number);
    expect(pld.lower as number).toBeLessThanOrEqual(pld.upper as number);
  });

  it('a run with a seeded generator is never a private release', () => {
    const ledger = new PrivacyLedger({ epsilon: 5, delta: 1e-5 });
    runPreprocessing(ledger, new SeededRng(1));
    const receipt = buildReceipt(ledger, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true });
    expect(receipt.private_release).toBe(false);
    expect(receipt.reasons_not_private.join(' ')).toMatch(/seeded/);
    expect(receipt.randomness.reproducible).toBe(true);
    // Even if the ledger never saw it, passing the run's seeded generator disqualifies the release.
    const other = new PrivacyLedger({ epsilon: 3, delta: 1e-5 });
    other.charge({ kind: 'gaussian', name: 'g', noiseMultiplier: 5 });
    const r2 = buildReceipt(other, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true, rng: new SeededRng(2) });
    expect(r2.private_release).toBe(false);
  });

  it('refuses private_release without a registered secure generator, without budget, or with ε = ∞', () => {
    const unregistered = new PrivacyLedger({ epsilon: 3, delta: 1e-5 });
    unregistered.charge({ kind: 'gaussian', name: 'g', noiseMultiplier: 5 });
    const r1 = buildReceipt(unregistered, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true });
    expect(r1.private_release).toBe(false);
    expect(r1.reasons_not_private.join(' ')).toMatch(/no random generator was registered/);
    // Passing the run's secure generator counts as registering it.
    const r1b = buildReceipt(unregistered, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true, rng: new CryptoRng() });
    expect(r1b.private_release).toBe(true);

    const unbounded = new PrivacyLedger({ epsilon: Infinity, delta: 1e-5 });
    unbounded.charge({ kind: 'subsampled_gaussian', name: 'no_noise', noiseMultiplier: 0, samplingRate: 0.1, steps: 5 });
    unbounded.registerRandomness(new CryptoRng());
    const r2 = buildReceipt(unbounded, { software, inputFingerprint: FINGERPRINT, parameters: {}, privateRelease: true });
    expect(r2.private_release).toBe(false);
    expect(r2.epsilon).toBe('Infinity');
    expect(r2.reasons_not_private.length).toBeGreaterThanOrEqual(2);

    const declined = buildReceipt(unregistered, {
      software,
      inputFingerprint: 'not provided',
      parameters: {},
      privateRelease: true,
      rng: new CryptoRng(),
      reasonsNotPrivate: ['initialised by copying real rows'],
    });
    expect(declined.private_release).toBe(false);
    expect(declined.reasons_not_private).toEqual(['initialised by copying real rows']);
    expect(declined.warnings.join(' ')).toMatch(/fingerprint/);
  });
});
