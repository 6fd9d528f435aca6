/* The data of a page, from its <script type="application/json"> block (views/page.py writes it).
   A number JSON has no word for travels as {"nonfinite": "NaN"} (or "Infinity", "-Infinity"):
   turned back into the number here. */
function tgsReadData(element) {
  return JSON.parse(element.textContent, function (key, value) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) &&
        Object.keys(value).length === 1 && typeof value.nonfinite === "string") {
      return Number(value.nonfinite);
    }
    return value;
  });
}

/* A sentence of the page's words (translated by Python, views/page.py) with its named places filled:
   tgsFill("picture %(n)d of %(total)d", {n: 1, total: 9}). The translation puts the places in its own
   order; a value is text the page already wrote (a number as the class writes it). */
function tgsFill(template, values) {
  return template.replace(/%\((\w+)\)[sd]/g, function (place, name) { return String(values[name]); })
    .replace(/%%/g, "%");
}
