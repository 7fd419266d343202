"""Admin pages for contacts: the list, a contact's page and edit form, the lists, the CSV import."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.form_pages import form_page, save_form
from core.roles import admin_required
from surveys import queries, services
from surveys.forms import ContactForm, MappingForm, UploadForm
from surveys.import_file import ImportFileError, guess_mapping, parse_file
from surveys.imports import import_confirm, import_prepare
from surveys.models import Contact, ContactImport, ContactList


def _segment_param(raw: str) -> tuple[str, str] | None:
    """ "plan=pro" from the contact list's filter box → ("plan", "pro"); anything else → None."""
    key, sep, value = raw.partition("=")
    key, value = key.strip(), value.strip()
    if sep and key and value and key.replace("_", "").replace("-", "").isalnum():
        return key, value
    return None


@admin_required
@require_GET
def contact_list(request):
    q = request.GET.get("q", "").strip()[:200]
    segment = request.GET.get("segment", "").strip()[:200]
    state = request.GET.get("state", "")
    state = state if state in ("opted_out", "undeliverable", "emailable") else ""
    list_id = request.GET.get("list", "")
    list_id = list_id if list_id.isdigit() else ""
    segment_filter = _segment_param(segment)
    if segment and segment_filter is None:
        messages.warning(request, _("Filter on a segment as attribute=value, for example plan=pro."))
    contacts = queries.contacts_search(
        q=q, segment=segment_filter, state=state, list_id=int(list_id) if list_id else None
    )
    page = Paginator(contacts, 50).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in (("q", q), ("segment", segment), ("state", state), ("list", list_id)) if v])
    return render(
        request,
        "surveys/contact_list.html",
        {
            "page": page,
            "q": q,
            "segment": segment,
            "state": state,
            "query": query,
            "list_id": list_id,
            "lists": ContactList.objects.annotate(n=Count("contacts")),
        },
    )


@admin_required
@require_GET
def contact_detail(request, pk: int):
    contact = get_object_or_404(Contact.objects.select_related("account_owner", "account"), pk=pk)
    return render(
        request,
        "surveys/contact_detail.html",
        {
            "contact": contact,
            "can_edit": not services.contact_edit_refusal(contact),
            "timeline": queries.contact_timeline(contact=contact),
            "lists": contact.lists.all(),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int | None = None):
    contact = get_object_or_404(Contact, pk=pk) if pk else Contact()
    refusal = services.contact_edit_refusal(contact)
    if refusal:
        messages.error(request, refusal)
        return redirect("surveys:contact_detail", pk=contact.pk)
    form = ContactForm(request.POST or None, instance=contact)
    saved = save_form(
        request,
        form,
        lambda data: services.contact_save(
            actor=request.user,
            contact_id=pk,
            attributes=data["attributes_text"],
            opt_out=data["opted_out"],
            **{name: data[name] for name in services.CONTACT_FIELDS},
        ),
        saved=_("Contact saved."),
    )
    if saved:
        return redirect("surveys:contact_detail", pk=saved.pk)
    title = _("Edit %(contact)s") % {"contact": contact} if pk else _("New contact")
    back = reverse("surveys:contact_detail", args=[pk]) if pk else reverse("surveys:contact_list")
    return form_page(request, form, title=title, back_url=back)


@admin_required
@require_http_methods(["GET", "POST"])
def contact_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            parse_file(upload.read())
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            upload.seek(0)
            record = services.import_start(upload=upload, actor=request.user)
            return redirect("surveys:contact_import_detail", pk=record.pk)
    recent = ContactImport.objects.order_by("-created_at")[:10]
    return render(
        request,
        "surveys/import_upload.html",
        {"form": form, "recent": recent},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def contact_import_detail(request, pk: int):
    record = get_object_or_404(ContactImport, pk=pk)
    if record.status not in (ContactImport.Status.UPLOADED, ContactImport.Status.MAPPED):
        # Running or finished: only the progress and the report, no need to read the file again.
        return render(
            request, "surveys/import_detail.html", {"record": record}, status=409 if request.method == "POST" else 200
        )
    try:
        parsed = parse_file(record.file.open("rb").read())
    except (ImportFileError, FileNotFoundError) as error:
        return render(request, "surveys/import_detail.html", {"record": record, "file_error": str(error)}, status=400)
    form = MappingForm(
        request.POST or None,
        headers=parsed.headers,
        initial_mapping=record.mapping or guess_mapping(parsed.headers),
        initial={"match_on": record.match_on},
    )
    report = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "check")
        if not form.is_valid():
            status = 400
        else:
            try:
                report = import_prepare(
                    import_record=record, mapping=form.mapping(), match_on=form.cleaned_data["match_on"]
                )
            except ImportFileError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                if action == "import" and not report.valid:
                    form.add_error(None, _("No row can be imported; correct the file or the mapping first."))
                    status = 400
                elif action == "import":
                    import_confirm(import_record=record, actor=request.user, list_name=form.cleaned_data["list_name"])
                    # No flash message: "running" is said by the progress part, which follows the import
                    # (a message would stay on the page after the import has finished).
                    return redirect("surveys:contact_import_detail", pk=record.pk)
    return render(
        request,
        "surveys/import_detail.html",
        {
            "record": record,
            "form": form,
            "headers": parsed.headers,
            "preview": parsed.preview(),
            "report": report,
            "row_count": len(parsed.rows),
        },
        status=status,
    )


@admin_required
@require_GET
def contact_import_progress(request, pk: int):
    record = get_object_or_404(ContactImport, pk=pk)
    return render(request, "surveys/_import_progress.html", {"record": record})


@admin_required
@require_GET
def contact_lists(request):
    return render(request, "surveys/contact_lists.html", {"lists": queries.contact_lists_with_counts()})
