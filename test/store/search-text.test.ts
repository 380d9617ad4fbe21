import { describe, expect, it } from 'vitest';
import { searchText } from '../../src/store/search-text.js';

describe('search text', () => {
  it('collects prompt, completion and message text, lowercased, and nothing else', () => {
    expect(searchText({ type: 'COMPLETION', prompt: 'Ask ÄRGER', completion: 'Fine', model: 'needle-model' })).toBe('ask ärger\u001ffine');
    expect(
      searchText({
        type: 'CHAT',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'One' },
              { type: 'image_url', image_url: 'http://x' },
            ],
          },
          { role: 'tool', content: 'Two' },
        ],
        messageCompletion: { role: 'assistant', content: 'Three', tool_calls: [] },
      }),
    ).toBe('one\u001ftwo\u001fthree');
  });
});
