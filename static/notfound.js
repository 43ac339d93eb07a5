// The page for an address the server does not know: what happened and the way back, translated.
import { applyI18n, languagePicker } from "/static/i18n.js";

applyI18n();
languagePicker(document.getElementById("lang-slot"), { onChange: () => applyI18n() });
