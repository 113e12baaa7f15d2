/** GitHub's error answer in a few words: its JSON `message`, or the start of the text. */
export function gitHubMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    return typeof message === 'string' ? `: ${message.slice(0, 300)}` : '';
  } catch {
    return text.trim() === '' ? '' : `: ${text.trim().slice(0, 300)}`;
  }
}
