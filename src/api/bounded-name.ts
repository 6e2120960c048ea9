// Names and label values that must fit in 63 characters (a Job's name, because
// the Job controller copies it into a pod label; any label value). A longer
// name keeps a prefix and gets a hash of the whole name, so it stays unique and
// is the same every time: a pure FNV-1a, not node:crypto, to keep src/api pure.

export const maxLabelValueLength = 63;

const hashLength = 8;
const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `text`, as 8 lowercase hex digits. */
export function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(hashLength, '0');
}

/**
 * `name` itself when it has at most `maxLength` characters; otherwise its first
 * characters, a dash and its hash, `maxLength` characters in all. The prefix
 * loses trailing `-`, `.` and `_`, so a valid DNS name or label value stays valid.
 */
export function boundedName(name: string, maxLength = maxLabelValueLength): string {
  if (name.length <= maxLength) return name;
  const prefix = name.slice(0, maxLength - hashLength - 1).replace(/[-._]+$/, '');
  return `${prefix}-${fnv1a32(name)}`;
}
