import { AgentLoggingConfigError } from '../../src/core/errors';
import { createHasher } from '../../src/core/hashing/hasher';
import { createScrubber } from '../../src/core/redaction/scrubber';
import { validateOptions } from '../../src/nest/validate-options';

// Options are checked in the units the README names.
describe('option units', () => {
  it('hashSecret is at least 16 bytes as HMAC reads it (UTF-8), not 16 UTF-16 units', () => {
    const twoByteChars = 'é'.repeat(8); // 8 characters, 16 bytes
    expect(Buffer.byteLength(twoByteChars)).toBe(16);
    expect(validateOptions({ hashSecret: twoByteChars })).toEqual({ hashSecret: twoByteChars });
    expect(validateOptions({ hashSecret: '🔑'.repeat(4) })).toBeDefined(); // 4 characters, 16 bytes
    expect(() => validateOptions({ hashSecret: `${'é'.repeat(7)}a` })).toThrow(AgentLoggingConfigError); // 15 bytes
    expect(() => validateOptions({ hashSecret: Buffer.alloc(15) })).toThrow(/at least 16 bytes/);
    expect(validateOptions({ hashSecret: Buffer.alloc(16) })).toBeDefined();
    // And the secret it accepts is the key HMAC uses, byte for byte.
    const keyed = createHasher({ secret: twoByteChars })('x').hash;
    expect(createHasher({ secret: Buffer.from(twoByteChars, 'utf8') })('x').hash).toBe(keyed);
  });

  it('hashMaxBytes counts UTF-8 bytes of canonical JSON: a text of 2-byte characters is cut at the byte budget', () => {
    const hasher = createHasher({ maxBytes: 10 });
    expect(hasher('é'.repeat(3)).truncated).toBe(false); // "ééé" with its quotes: 8 bytes
    expect(hasher('é'.repeat(5)).truncated).toBe(true); // 12 bytes
  });

  it('errorMessageMaxLength is never exceeded in characters, astral ones included', () => {
    const scrub = createScrubber({ maxLength: 10 });
    for (const text of ['x'.repeat(50), '😀'.repeat(50), `a${'😀'.repeat(50)}`]) {
      const out = scrub(text) as string;
      expect([...out].length).toBeLessThanOrEqual(10);
      expect(out.endsWith('…')).toBe(true);
    }
  });
});
