// The page for an address the server does not know: what happened and the way back, translated.
import { applyI18n, languagePicker, t } from "/static/i18n.js";

function translate() {
  applyI18n();
  document.title = t("page_not_found_title"); // the shared head's title is the product's name
}

translate();
languagePicker(document.getElementById("lang-slot"), { onChange: translate });
