"""The demo's reply templates (followups.reply_templates): per language, one per category."""

from followups.models import ReplyTemplate

TEMPLATES = [
    (
        "Apology",
        "en",
        "detractor",
        "We are sorry, {customer_name}",
        "You gave us a {score} and wrote: ‘{comment}’\n\nThat is not the experience we want you to have, and I "
        "would like to put it right. Could you tell me a good moment to call you?",
    ),
    (
        "Thanks and a question",
        "en",
        "passive",
        "Thank you for your feedback",
        "Thank you for scoring us a {score}. What is the one thing {company} could do to make it a 10?",
    ),
    (
        "Review request",
        "en",
        "promoter",
        "Thank you, {customer_name}!",
        "A {score}: thank you! Would you share your experience in a short review? It helps others choose {company}.",
    ),
    (
        "Excuses",
        "nl",
        "detractor",
        "Onze excuses, {customer_name}",
        "U gaf ons een {score} en schreef: ‘{comment}’\n\nZo willen we het niet, en ik wil het graag goedmaken. "
        "Wanneer kan ik u het best bellen?",
    ),
    (
        "Bedankt en een vraag",
        "nl",
        "passive",
        "Bedankt voor uw feedback",
        "Bedankt voor uw {score}. Wat kan {company} doen om er een 10 van te maken?",
    ),
    (
        "Vraag om een review",
        "nl",
        "promoter",
        "Bedankt, {customer_name}!",
        "Een {score}: hartelijk dank! Wilt u uw ervaring delen in een korte review? Daarmee helpt u anderen "
        "kiezen voor {company}.",
    ),
]


def make_reply_templates() -> None:
    for name, language, category, subject, body in TEMPLATES:
        ReplyTemplate.objects.get_or_create(
            name=name, language=language, defaults={"category": category, "subject": subject, "body": body}
        )
