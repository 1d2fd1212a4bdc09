// The reader's language: the widget's `lang`, else the page's <html lang>, else English.
import en from "./locales/en.js";
import vi from "./locales/vi.js";

const LOCALES = { en, vi };

export const pickLanguage = (...tags) => tags.map((tag) => tag?.slice(0, 2).toLowerCase()).find((tag) => LOCALES[tag]) || "en";

export function locale(lang) {
  const strings = LOCALES[lang] || en;
  const decimal = new Intl.NumberFormat(strings.tag, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat(strings.tag);
  const plural = new Intl.PluralRules(strings.tag);
  return {
    lang: strings.tag,
    // "{n} star|{n} stars": the forms of Intl.PluralRules' one|other, where a language has them.
    t(key, vars = {}) {
      let text = strings[key] ?? en[key];
      const forms = text.split("|");
      if (forms.length > 1) text = forms[plural.select(vars.n ?? 0) === "one" ? 0 : 1];
      return text.replace(/\{(\w+)\}/g, (_, name) => (typeof vars[name] === "number" ? whole.format(vars[name]) : vars[name]));
    },
    decimal: (value) => decimal.format(value),
    date: (iso) => new Date(iso).toLocaleDateString(strings.tag, { dateStyle: "long" }),
  };
}
