import type { FacetValue } from '../generation/rest.js';
import { h, replaceChildren, uniqueId } from './dom.js';

/**
 * Suggestions under a text field: a small listbox (the ARIA combobox pattern) of the values the field may take, each
 * with its count, narrowed by what is typed. Arrow keys move through it, Enter takes the highlighted value (and only
 * then: with none highlighted, Enter submits the form as ever), Escape closes it; a click takes a value too. The field
 * still takes any text. Values are inserted as text.
 */
export interface Suggestions {
  /** Replaces the values offered; `exact` false marks the counts as those of the newest generations. */
  offer(values: readonly FacetValue[], exact: boolean): void;
}

export function attachSuggestions(input: HTMLInputElement, onOpen: () => void): Suggestions {
  const listbox = h('ul', { id: uniqueId('suggestions'), class: 'suggestions', role: 'listbox', 'aria-label': 'Suggestions' });
  listbox.hidden = true;
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listbox.id);
  input.insertAdjacentElement('afterend', listbox);
  let offered: readonly FacetValue[] = [];
  let exact = true;
  let active = -1;

  const options = () => [...listbox.querySelectorAll<HTMLLIElement>('[role="option"]')];
  const close = () => {
    listbox.hidden = true;
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };
  const highlight = (index: number) => {
    const all = options();
    active = all.length === 0 ? -1 : (index + all.length) % all.length;
    for (const [i, option] of all.entries()) option.setAttribute('aria-selected', String(i === active));
    if (active >= 0) {
      input.setAttribute('aria-activedescendant', all[active].id);
      all[active].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };
  const take = (value: string) => {
    input.value = value;
    close();
  };
  /** Narrowed by the text once the user types; on focus every value shows, the field's own included. */
  let narrow = false;
  const render = () => {
    // Values can arrive after the user has moved into the list (their request answered late): the highlight stays.
    const highlighted = active >= 0 ? options()[active]?.dataset.value : undefined;
    const typed = narrow ? input.value.trim().toLowerCase() : '';
    const shown = offered.filter((each) => each.value.toLowerCase().includes(typed));
    replaceChildren(
      listbox,
      shown.map((each) =>
        h(
          'li',
          {
            id: uniqueId('suggestion'),
            role: 'option',
            'aria-selected': 'false',
            'data-value': each.value,
            on: {
              // Before the field's blur closes the list.
              mousedown: (event) => {
                event.preventDefault();
                take(each.value);
              },
            },
          },
          h('span', { class: 'suggestion-value', dir: 'auto' }, each.value),
          h('span', { class: 'suggestion-count' }, `${each.count.toLocaleString()}${exact ? '' : '+'}`),
        ),
      ),
    );
    active = -1;
    const open = shown.length > 0 && document.activeElement === input;
    listbox.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    input.removeAttribute('aria-activedescendant');
    const kept = shown.findIndex((each) => each.value === highlighted);
    if (open && kept >= 0) highlight(kept);
  };

  input.addEventListener('focus', () => {
    narrow = false;
    onOpen();
  });
  input.addEventListener('input', () => {
    narrow = true;
    render();
  });
  input.addEventListener('blur', close);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (listbox.hidden) render();
      highlight(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && !listbox.hidden && active >= 0) {
      event.preventDefault();
      take(options()[active].dataset.value ?? '');
    } else if (event.key === 'Escape' && !listbox.hidden) {
      event.preventDefault();
      close();
    }
  });
  return {
    offer(values, isExact) {
      offered = values;
      exact = isExact;
      if (document.activeElement === input) render();
    },
  };
}
