// An app that fetched /api/v3/pages/{id}/ narrows the page by its type, as it does a block,
// with no hand-written guard. Checked by test_openapi_contract.py; it does not compile yet
// (see docs/validators.md): the page types differ only in the nested `meta.type`, and
// TypeScript narrows a union by a property of its own, not of a nested object.
import type { operations } from "./api";
import { outlinePost } from "./consumer";

type PageDetail =
  operations["pages_detail"]["responses"][200]["content"]["application/json"];

export function outlineOf(page: PageDetail): string[] {
  switch (page.meta.type) {
    case "blog.BlogPostPage":
      return outlinePost(page);
    default:
      return [page.title];
  }
}
