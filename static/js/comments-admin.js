// Wagtail's bulk-action bar words its count from wagtailConfig.STRINGS.BULK_ACTIONS by the
// footer's item type; the comment listing's footer says COMMENT (see its index template),
// so the bar reads "3 comments selected". Runs before Wagtail's deferred bulk-actions.js.
window.wagtailConfig.STRINGS.BULK_ACTIONS.COMMENT = {
    SINGULAR: "1 comment selected",
    PLURAL: "%(objects)s comments selected",
    ALL: "All %(objects)s comments on this screen selected",
    ALL_IN_LISTING: "All comments in listing selected",
};
