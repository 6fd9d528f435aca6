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
