/** Name and version written into every receipt (kept in step with package.json by a test). */
export const SOFTWARE = { name: 'dpcondense', version: '0.1.0' } as const;
