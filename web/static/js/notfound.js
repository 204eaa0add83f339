// The page for a link that is not a call: only its language.

import { PageLanguage } from './localize.js';

const language = new PageLanguage(document);
language.init();
document.title = language.t('notfound.docTitle');
language.onChange((t) => {
  document.title = t('notfound.docTitle');
});
