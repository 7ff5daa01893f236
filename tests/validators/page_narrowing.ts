// An app that fetched /api/v3/pages/{id}/ narrows the page by its type, as it does a block,
// with no hand-written guard. Checked by test_openapi_contract.py: every page schema has a
// top-level `type` (cms/v3_page_types.py); TypeScript narrows a union by a property of its
// own members, not by the nested `meta.type`.
import type { operations } from "./api";
import { outlinePost } from "./consumer";

type PageDetail =
  operations["pages_detail"]["responses"][200]["content"]["application/json"];

export function outlineOf(page: PageDetail): string[] {
  switch (page.type) {
    case "blog.BlogPostPage":
      return outlinePost(page);
    default:
      return [page.title];
  }
}
