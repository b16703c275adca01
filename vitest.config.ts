import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
    // CLI runs on a user's CSV create a fingerprint key in the config directory: keep tests out of ~/.config.
    env: { DPCONDENSE_CONFIG_DIR: join(tmpdir(), 'dpcondense-test-config') },
  },
});
