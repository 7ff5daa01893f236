/*
 * Progressive enhancement for the comment form. Without this script, reply links load
 * the page with ?replytocom=ID and the form works as it is. With it, the form moves
 * under the comment being answered, and a reader who opted in gets name, email and
 * website filled in from the cookie the server set. After a refused post, focus goes to
 * the error summary (in browsers that do not focus a URL's fragment target themselves),
 * and its links focus their field.
 */
(function () {
    "use strict";

    var respond = document.getElementById("respond");
    if (!respond) {
        return;
    }
    var form = respond.querySelector("form");
    var parentInput = form.querySelector("input[name='parent']");
    var titleText = document.getElementById("reply-title-text");
    var cancel = document.getElementById("cancel-reply");
    var home = document.createComment("comment form home");
    respond.parentNode.insertBefore(home, respond);

    function replyTo(link) {
        var comment = document.getElementById("comment-" + link.dataset.replyTo);
        var article = comment && comment.querySelector(":scope > article");
        if (!article) {
            return false;
        }
        article.insertAdjacentElement("afterend", respond);
        parentInput.value = link.dataset.replyTo;
        // The name is the reader's: isolated, so its direction cannot reorder the title.
        var name = document.createElement("bdi");
        name.textContent = link.dataset.replyName;
        titleText.textContent = "Reply to ";
        titleText.appendChild(name);
        cancel.hidden = false;
        form.querySelector("textarea").focus();
        return true;
    }

    function cancelReply(event) {
        event.preventDefault();
        home.parentNode.insertBefore(respond, home.nextSibling);
        parentInput.value = "";
        titleText.textContent = "Leave a Reply";
        cancel.hidden = true;
    }

    document.addEventListener("click", function (event) {
        var link = event.target.closest("a[data-reply-to]");
        if (link && replyTo(link)) {
            event.preventDefault();
        }
    });
    cancel.addEventListener("click", cancelReply);

    var summary = form.querySelector("[data-error-summary]");
    if (summary) {
        if (document.activeElement !== summary) {
            summary.focus();
        }
        summary.addEventListener("click", function (event) {
            var link = event.target.closest("a[href^='#']");
            var field = link && document.getElementById(link.hash.slice(1));
            if (!field) {
                return;
            }
            event.preventDefault();
            // The label above the field comes into view with it, as GOV.UK's summary does.
            var label = form.querySelector("label[for='" + field.id + "']");
            (label || field).scrollIntoView();
            field.focus({preventScroll: true});
        });
    }

    var cookie = document.cookie.split("; ").filter(function (part) {
        return part.indexOf("comment_author=") === 0;
    })[0];
    if (cookie) {
        // The value is already URL-encoded (the server urlencodes it); decoding it first
        // would turn a "+" in an email into a space.
        var saved = new URLSearchParams(cookie.slice("comment_author=".length).replace(/^"|"$/g, ""));
        [["author_name", "name"], ["author_email", "email"], ["author_url", "url"]].forEach(function (pair) {
            var input = form.elements[pair[0]];
            if (input && !input.value && saved.get(pair[1])) {
                input.value = saved.get(pair[1]);
            }
        });
        if (form.elements.remember) {
            form.elements.remember.checked = true;
        }
    }
}());
