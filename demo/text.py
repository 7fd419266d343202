"""The demo's texts: comment banks in English and Dutch, by category and touchpoint theme, and the Dutch
names of the touchpoints and root causes and texts of the demo campaigns."""

COMMENTS = {
    "en": {
        "promoter": [
            "Support solved my problem within the hour. Brilliant.",
            "The product just works, and the team listens.",
            "Onboarding was smooth; our whole team was live in a week.",
            "Great value for money, and the new reports are excellent.",
            "Friendly people who actually call you back.",
            "I recommend you to every colleague who asks.",
            "Reliable, fast, and the mobile app is a joy.",
            "",
        ],
        "passive": [
            "Good overall, but the invoices are hard to read.",
            "Works fine. Price went up a bit too much this year.",
            "Support is helpful but it takes a while to get an answer.",
            "Decent product, missing a few integrations we need.",
            "Onboarding documentation could be clearer.",
            "",
        ],
        "detractor": [
            "Waited three days for a reply from support. Unacceptable.",
            "Billing charged us twice and nobody followed up.",
            "The export keeps timing out on large accounts.",
            "Too expensive for what we get.",
            "Onboarding was chaotic; we had to figure everything out ourselves.",
            "The app crashes whenever I upload a file.",
            "Nobody told us about the price change.",
            "",
        ],
    },
    "nl": {
        "promoter": [
            "Support had mijn probleem binnen een uur opgelost. Top!",
            "Het product werkt gewoon, en het team luistert.",
            "Soepele onboarding, binnen een week waren we live.",
            "Goede prijs-kwaliteitverhouding.",
            "",
        ],
        "passive": [
            "Prima, maar de facturen zijn onduidelijk.",
            "Werkt goed, maar de prijs is flink gestegen.",
            "Support is behulpzaam maar reageert traag.",
            "",
        ],
        "detractor": [
            "Drie dagen gewacht op antwoord van support.",
            "Dubbel gefactureerd en niemand belde terug.",
            "Veel te duur voor wat we krijgen.",
            "De app crasht bij elke upload.",
            "",
        ],
    },
}

# The words in a comment that make an agent tag its case with a root cause (demo.cases.root_cause).
ROOT_CAUSE_WORDS = {
    "price": ("price", "expensive", "value", "prijs", "duur"),
    "process": ("wait", "reply", "support", "invoice", "billing", "onboarding", "gewacht", "reageert", "factur"),
    "product": ("app", "crash", "export", "integration", "product", "documentation"),
}

# Dutch names of the touchpoints and root causes, and of the demo campaigns' texts.
TOUCHPOINTS_NL = {
    "Sales": "Verkoop",
    "Onboarding": "Onboarding",
    "Support": "Klantenservice",
    "Billing": "Facturatie",
    "Renewal": "Verlenging",
}
ROOT_CAUSES_NL = {
    "process": "Proces",
    "product": "Product",
    "price": "Prijs",
    "reputation": "Reputatie",
    "emotional": "Emotionele betrokkenheid",
}
WHY_NL = "Wat is de belangrijkste reden voor uw score?"
# The relational campaign asks each category its own "why" (#23): English, then Dutch.
WHY_BY_CATEGORY = {
    "why_detractor": ("What disappointed you?", "Wat stelde u teleur?"),
    "why_passive": ("What would make it a 10?", "Wat zou er een 10 van maken?"),
    "why_promoter": ("What do you like most?", "Wat waardeert u het meest?"),
}
QUESTIONS_NL = {
    "How satisfied were you with the support you received?": {"text": "Hoe tevreden was u met de hulp die u kreeg?"},
    "How easy was it to get your issue resolved?": {
        "text": "Hoe makkelijk was het om uw probleem opgelost te krijgen?"
    },
    "What matters most to you in our service?": {
        "text": "Wat vindt u het belangrijkst aan onze dienstverlening?",
        "choices": ["Productkwaliteit", "Prijs", "Klantenservice", "Gebruiksgemak"],
    },
    "How satisfied are you with the value for money?": {
        "text": "Hoe tevreden bent u over de prijs-kwaliteitverhouding?"
    },
    "How satisfied are you with your onboarding?": {"text": "Hoe tevreden bent u over uw onboarding?"},
}
