// What node feed readers show as each entry's headline: feedsmith, rss-parser and
// @extractus/feed-extractor, each reading the files named on the command line.
// Usage: node read_feeds.mjs rss=FILE atom=FILE json=FILE  → JSON {reader: {kind: [titles]}}
import { readFileSync } from "node:fs";
import { parseFeed } from "feedsmith";
import Parser from "rss-parser";
import { extractFromJson, extractFromXml } from "@extractus/feed-extractor";

const files = Object.fromEntries(process.argv.slice(2).map((arg) => arg.split("=", 2)));
const out = { feedsmith: {}, "rss-parser": {}, "feed-extractor": {} };

for (const [kind, path] of Object.entries(files)) {
  const text = readFileSync(path, "utf8");
  const parsed = parseFeed(text);
  const items = parsed.feed.items ?? parsed.feed.entries ?? [];
  out.feedsmith[kind] = items.map((item) =>
    typeof item.title === "object" && item.title !== null ? item.title.value ?? "" : item.title ?? "",
  );
  if (kind !== "json") {
    const feed = await new Parser().parseString(text);
    out["rss-parser"][kind] = feed.items.map((item) => item.title ?? "");
  }
  const extracted = kind === "json" ? extractFromJson(JSON.parse(text)) : extractFromXml(text);
  out["feed-extractor"][kind] = extracted.entries.map((entry) => entry.title ?? "");
}
process.stdout.write(JSON.stringify(out));
