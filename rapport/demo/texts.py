"""Fixed demo content: the shop's product catalogue and timeline texts in each language."""

from decimal import Decimal

#: (SKU, name, category, price in EUR, popularity weight)
PRODUCTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("PH-A15-128", "Smartphone Nova A15, 128 GB", "Smartphones", "279.00", 30),
    ("PH-A15-256", "Smartphone Nova A15, 256 GB", "Smartphones", "329.00", 15),
    ("PH-X3-PRO", "Smartphone Nova X3 Pro, 512 GB", "Smartphones", "1099.00", 8),
    ("PH-LITE-64", "Smartphone Nova Lite, 64 GB", "Smartphones", "159.90", 20),
    ("PH-FOLD-2", "Foldable phone Nova Fold 2", "Smartphones", "1649.00", 3),
    ("TB-10-WIFI", "Tablet Slate 10, Wi-Fi", "Tablets", "249.00", 12),
    ("TB-12-LTE", "Tablet Slate 12, LTE", "Tablets", "549.00", 6),
    ("TB-PEN", "Stylus pen for Slate tablets", "Tablets", "59.90", 8),
    ("NB-AIR-13", "Notebook Aero 13, 16 GB RAM", "Notebooks", "999.00", 8),
    ("NB-PRO-15", "Notebook Pro 15, 32 GB RAM", "Notebooks", "1799.00", 4),
    ("NB-EDU-14", "Notebook Edu 14", "Notebooks", "449.00", 9),
    ("NB-GAME-17", "Gaming notebook Raptor 17", "Notebooks", "2199.00", 3),
    ("PC-MINI-I5", "Mini PC Cube i5", "Computers", "529.00", 4),
    ("MN-24-FHD", 'Monitor 24" Full HD', "Monitors", "139.00", 12),
    ("MN-27-QHD", 'Monitor 27" QHD, 165 Hz', "Monitors", "319.00", 8),
    ("MN-32-4K", 'Monitor 32" 4K USB-C', "Monitors", "579.00", 4),
    ("AU-BUDS-2", "Wireless earbuds Buds 2", "Audio", "89.90", 30),
    ("AU-BUDS-PRO", "Noise-cancelling earbuds Buds Pro", "Audio", "179.00", 15),
    ("AU-HP-ANC", "Over-ear headphones Calm ANC", "Audio", "249.00", 10),
    ("AU-SPK-MINI", "Bluetooth speaker Pebble", "Audio", "49.90", 20),
    ("AU-SPK-XL", "Party speaker Boom XL", "Audio", "299.00", 5),
    ("AU-BAR-300", "Soundbar Cinema 300", "Audio", "399.00", 5),
    ("TV-43-4K", 'TV 43" 4K Smart', "TV", "399.00", 7),
    ("TV-55-OLED", 'TV 55" OLED', "TV", "1299.00", 4),
    ("TV-65-QLED", 'TV 65" QLED', "TV", "1099.00", 3),
    ("TV-STICK", "Streaming stick 4K", "TV", "49.00", 18),
    ("WA-FIT-3", "Fitness tracker Fit 3", "Wearables", "69.90", 14),
    ("WA-WATCH-S", "Smartwatch Pulse S", "Wearables", "229.00", 10),
    ("WA-WATCH-L", "Smartwatch Pulse L, LTE", "Wearables", "349.00", 5),
    ("CM-ACT-4K", "Action camera Trail 4K", "Cameras", "199.00", 5),
    ("CM-MIRR-24", "Mirrorless camera M24 with kit lens", "Cameras", "1149.00", 2),
    ("CM-LENS-50", "Prime lens 50 mm f/1.8", "Cameras", "229.00", 2),
    ("CM-SD-128", "SD card 128 GB, V30", "Cameras", "24.90", 16),
    ("SH-BULB-E27", "Smart bulb E27, colour", "Smart home", "19.90", 20),
    ("SH-PLUG", "Smart plug with energy meter", "Smart home", "24.90", 18),
    ("SH-HUB", "Smart home hub Zigbee", "Smart home", "89.00", 6),
    ("SH-THERM", "Smart radiator thermostat", "Smart home", "59.90", 10),
    ("SH-CAM-IN", "Indoor security camera", "Smart home", "49.90", 9),
    ("SH-DOOR", "Video doorbell", "Smart home", "129.00", 6),
    ("NW-RT-AX", "Wi-Fi 6 router AX3000", "Networking", "129.00", 8),
    ("NW-MESH-3", "Mesh Wi-Fi system, 3 units", "Networking", "279.00", 4),
    ("NW-SW-8", "Gigabit switch, 8 ports", "Networking", "29.90", 6),
    ("GM-CON-X", "Game console X, 1 TB", "Gaming", "499.00", 6),
    ("GM-PAD", "Wireless controller", "Gaming", "64.90", 12),
    ("GM-HEAD", "Gaming headset Surround", "Gaming", "79.90", 8),
    ("GM-KB-MECH", "Mechanical keyboard, RGB", "Gaming", "119.00", 7),
    ("GM-MOUSE", "Gaming mouse 26k DPI", "Gaming", "59.90", 9),
    ("AC-USBC-65", "USB-C charger 65 W", "Accessories", "39.90", 28),
    ("AC-CABLE-2M", "USB-C cable 2 m", "Accessories", "12.90", 35),
    ("AC-PB-20K", "Power bank 20,000 mAh", "Accessories", "44.90", 18),
    ("AC-CASE-A15", "Protective case Nova A15", "Accessories", "19.90", 25),
    ("AC-GLASS-A15", "Screen protector Nova A15, 2-pack", "Accessories", "14.90", 25),
    ("AC-SLEEVE-13", 'Notebook sleeve 13"', "Accessories", "29.90", 10),
    ("AC-MOUSE-BT", "Bluetooth mouse", "Accessories", "24.90", 14),
    ("AC-KB-BT", "Bluetooth keyboard, compact", "Accessories", "49.90", 9),
    ("AC-HUB-7", "USB-C hub 7-in-1", "Accessories", "49.90", 12),
    ("AC-SSD-1TB", "Portable SSD 1 TB", "Storage", "99.90", 12),
    ("AC-HDD-4TB", "External hard disk 4 TB", "Storage", "109.00", 8),
    ("AC-USB-128", "USB stick 128 GB", "Storage", "16.90", 16),
    ("SV-CARE-2Y", "Care+ extended warranty, 2 years", "Services", "79.00", 10),
    ("SV-SETUP", "Home setup service", "Services", "59.00", 4),
    ("SV-DATA", "Data transfer service", "Services", "29.00", 5),
)


def product_price(sku: str) -> Decimal:
    return next(Decimal(p[3]) for p in PRODUCTS if p[0] == sku)


#: Notes staff write about customers, by language. The first line becomes the title.
NOTES: dict[str, tuple[str, ...]] = {
    "de": (
        "Rückruf gewünscht\nKundin bittet um Rückruf wegen der Lieferzeit, am besten vormittags.",
        "Reklamation Kopfhörer\nLinke Ohrmuschel knackt. Austausch angeboten, Kunde einverstanden.",
        "Interesse an Smart-Home-Beratung\nPlant Umbau im Frühjahr, bitte Angebot für Heizkörperthermostate.",
        "Bevorzugt Kontakt per E-Mail\nBitte nicht telefonisch kontaktieren, nur per E-Mail.",
        "Rechnung neu ausgestellt\nRechnungsadresse geändert, neue Rechnung per E-Mail verschickt.",
        "Gutschein zugesagt\nWegen verspäteter Lieferung 10-Euro-Gutschein zugesagt.",
    ),
    "en": (
        "Asked for a call back\nWants an update on the delivery date; mornings are best.",
        "Headphones complaint\nLeft ear cup crackles. Offered a replacement, customer agreed.",
        "Interested in smart home setup\nMoving house in spring, send an offer for thermostats and plugs.",
        "Prefers email\nPlease do not call; email only.",
        "Invoice reissued\nBilling address changed, sent the corrected invoice by email.",
        "Voucher promised\nPromised a 10 euro voucher for the late delivery.",
    ),
    "fr": (
        "Rappel demandé\nLa cliente souhaite être rappelée au sujet du délai de livraison, plutôt le matin.",
        "Réclamation casque\nL'écouteur gauche grésille. Échange proposé, le client est d'accord.",
        "Intéressé par la maison connectée\nDéménagement au printemps, envoyer une offre pour des thermostats.",
        "Préfère le courriel\nMerci de ne pas appeler, uniquement par courriel.",
        "Facture rééditée\nAdresse de facturation modifiée, nouvelle facture envoyée par courriel.",
        "Bon d'achat promis\nBon de 10 euros promis pour le retard de livraison.",
    ),
    "es": (
        "Pide que le llamemos\nQuiere saber la fecha de entrega; mejor por la mañana.",
        "Reclamación auriculares\nEl auricular izquierdo hace ruido. Ofrecimos un cambio y aceptó.",
        "Interesado en hogar inteligente\nSe muda en primavera, enviar oferta de termostatos y enchufes.",
        "Prefiere correo electrónico\nNo llamar por teléfono, solo por correo.",
        "Factura corregida\nCambió la dirección de facturación, enviada la factura nueva.",
        "Vale prometido\nPrometimos un vale de 10 euros por el retraso en la entrega.",
    ),
    "it": (
        "Richiesta di richiamata\nIl cliente vuole aggiornamenti sulla consegna, preferibilmente di mattina.",
        "Reclamo cuffie\nIl padiglione sinistro gracchia. Proposta la sostituzione, cliente d'accordo.",
        "Interesse per la casa intelligente\nTrasloco in primavera, inviare offerta per termostati.",
        "Preferisce l'email\nNon chiamare, solo per email.",
        "Fattura riemessa\nIndirizzo di fatturazione cambiato, nuova fattura inviata per email.",
        "Buono promesso\nPromesso un buono da 10 euro per il ritardo nella consegna.",
    ),
    "pl": (
        "Prośba o oddzwonienie\nKlientka prosi o informację o terminie dostawy, najlepiej rano.",
        "Reklamacja słuchawek\nLewa słuchawka trzeszczy. Zaproponowano wymianę, klient się zgodził.",
        "Zainteresowanie inteligentnym domem\nPrzeprowadzka wiosną, wysłać ofertę termostatów.",
        "Woli kontakt mailowy\nProszę nie dzwonić, tylko e-mail.",
        "Faktura wystawiona ponownie\nZmiana adresu, nowa faktura wysłana e-mailem.",
        "Obiecany bon\nObiecano bon na 10 euro za opóźnioną dostawę.",
    ),
    "tr": (
        "Geri arama talebi\nMüşteri teslimat tarihi için aranmak istiyor, tercihen sabah.",
        "Kulaklık şikayeti\nSol kulaklıkta cızırtı var. Değişim önerildi, müşteri kabul etti.",
        "Akıllı ev ile ilgileniyor\nBaharda taşınıyor, termostat teklifi gönderilecek.",
        "E-posta tercih ediyor\nLütfen telefonla aramayın, yalnızca e-posta.",
        "Fatura yeniden düzenlendi\nFatura adresi değişti, yeni fatura e-postayla gönderildi.",
        "Hediye çeki sözü verildi\nGeciken teslimat için 10 euroluk hediye çeki sözü verildi.",
    ),
}

#: Subjects of messages customers send or receive, by language.
MESSAGES: dict[str, tuple[str, ...]] = {
    "de": (
        "Wo bleibt meine Bestellung?",
        "Frage zur Rechnung",
        "Rücksendung angemeldet",
        "Ihre Bestellung wurde versandt",
        "Produktfrage: Ladegerät kompatibel?",
        "Garantiefall",
        "Danke für die schnelle Hilfe!",
    ),
    "en": (
        "Where is my order?",
        "Question about my invoice",
        "Return registered",
        "Your order has shipped",
        "Product question: is this charger compatible?",
        "Warranty claim",
        "Thanks for the quick help!",
    ),
    "fr": (
        "Où en est ma commande ?",
        "Question sur ma facture",
        "Retour enregistré",
        "Votre commande a été expédiée",
        "Question produit : chargeur compatible ?",
        "Demande de garantie",
        "Merci pour votre aide rapide !",
    ),
    "es": (
        "¿Dónde está mi pedido?",
        "Consulta sobre mi factura",
        "Devolución registrada",
        "Su pedido ha sido enviado",
        "Pregunta: ¿es compatible este cargador?",
        "Reclamación de garantía",
        "¡Gracias por la ayuda tan rápida!",
    ),
    "it": (
        "Dov'è il mio ordine?",
        "Domanda sulla fattura",
        "Reso registrato",
        "Il suo ordine è stato spedito",
        "Domanda sul prodotto: caricatore compatibile?",
        "Richiesta di garanzia",
        "Grazie per l'aiuto veloce!",
    ),
    "pl": (
        "Gdzie jest moje zamówienie?",
        "Pytanie o fakturę",
        "Zgłoszono zwrot",
        "Twoje zamówienie zostało wysłane",
        "Pytanie: czy ładowarka jest kompatybilna?",
        "Zgłoszenie gwarancyjne",
        "Dziękuję za szybką pomoc!",
    ),
    "tr": (
        "Siparişim nerede?",
        "Faturamla ilgili soru",
        "İade kaydedildi",
        "Siparişiniz kargoya verildi",
        "Ürün sorusu: şarj aleti uyumlu mu?",
        "Garanti talebi",
        "Hızlı yardım için teşekkürler!",
    ),
}

#: Subjects of logged calls and meetings (staff write these, in the customer's language).
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "de": ("Telefonat: Lieferstatus", "Telefonat: Rückfrage Rechnung", "Beratung im Laden"),
    "en": ("Call: delivery status", "Call: invoice question", "In-store consultation"),
    "fr": ("Appel : suivi de livraison", "Appel : question facture", "Conseil en magasin"),
    "es": ("Llamada: estado del envío", "Llamada: consulta factura", "Asesoramiento en tienda"),
    "it": ("Chiamata: stato spedizione", "Chiamata: domanda fattura", "Consulenza in negozio"),
    "pl": ("Rozmowa: status dostawy", "Rozmowa: pytanie o fakturę", "Doradztwo w sklepie"),
    "tr": ("Arama: teslimat durumu", "Arama: fatura sorusu", "Mağazada danışmanlık"),
}

TAGS = (
    "newsletter",
    "b2b",
    "gamer",
    "photography",
    "smart-home",
    "student",
    "early-adopter",
    "frequent-returns",
    "trade-fair-2024",
    "price-sensitive",
)

INDUSTRIES = (
    "Retail",
    "Software",
    "Consulting",
    "Healthcare",
    "Education",
    "Manufacturing",
    "Logistics",
    "Hospitality",
    "Public sector",
    "Media",
)

TEAMS = (
    ("First level", "Answers the chat and inbound email."),
    ("Second level", "Technical questions, warranty and repairs."),
    ("Key accounts", "Business customers and VIPs."),
)

#: Demo staff: username, first name, last name, role, team index, spoken languages, time zone.
STAFF = (
    ("mkeller", "Miriam", "Keller", "manager", 2, ["de", "en"], "Europe/Berlin"),
    ("jdupont", "Julien", "Dupont", "agent", 0, ["fr", "en"], "Europe/Paris"),
    ("lgarcia", "Lucía", "García", "agent", 0, ["es", "en"], "Europe/Madrid"),
    ("tnowak", "Tomasz", "Nowak", "agent", 1, ["pl", "de", "en"], "Europe/Warsaw"),
    ("ayilmaz", "Ayşe", "Yılmaz", "agent", 1, ["tr", "de", "en"], "Europe/Istanbul"),
    ("gbianchi", "Giulia", "Bianchi", "agent", 0, ["it", "en"], "Europe/Rome"),
    ("sbrown", "Sarah", "Brown", "marketer", 2, ["en"], "Europe/London"),
)
