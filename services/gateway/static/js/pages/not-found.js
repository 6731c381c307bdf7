// Any path the storefront does not know.

import { h, replace } from '../core/dom.js';
import { setTitle } from '../core/router.js';

export async function render({ main }) {
  setTitle('Page not found');
  replace(main, h('section', { class: 'page page--narrow state' },
    h('h1', {}, 'Page not found'),
    h('p', {}, 'There is no page at this address.'),
    h('p', {}, h('a', { href: '/', class: 'button' }, 'Go to the home page'), ' ', h('a', { href: '/search', class: 'button button--secondary' }, 'Browse pieces'))));
}
