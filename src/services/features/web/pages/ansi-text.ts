/**
 * Terminal colour codes in logs. The browser colours them (gyre.js); the server-rendered copy
 * of a log, for pages read without JavaScript, drops them so that no `[31m` litters the text.
 */

// CSI sequences (colours, cursor moves) and the two-byte escapes; enough for build output.
const ESC = String.fromCharCode(0x1b);
const ESCAPE_SEQUENCE = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]|${ESC}[@-Z\\\\-_]`, 'g');

export function stripAnsi(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '');
}
