"""Fixed helpdesk demo content: teams, agents and conversation texts in each demo language.

Each language has the same topics (delivery delays, returns, invoices, defects, account
questions). A topic holds subjects, the customer's first message, agent replies and customer
follow-ups; a conversation draws from one topic, so its messages belong together.
"""

#: Topics and the team that handles them (index into HELPDESK_TEAMS).
TOPICS = ("delivery", "return", "invoice", "defect", "account")
TOPIC_TEAM = {"delivery": 0, "return": 0, "invoice": 1, "defect": 2, "account": 0}

HELPDESK_TEAMS = (
    ("First level", "Answers the chat and inbound email."),
    ("Billing", "Invoices, payments, refunds and vouchers."),
    ("Technical", "Defects, warranty claims, repairs and setup questions."),
)

#: Demo agents of the helpdesk: username, first name, last name, role, team index
#: (HELPDESK_TEAMS), spoken languages, time zone. Added to the staff of rapport.demo.texts.STAFF.
HELPDESK_AGENTS = (
    ("hlead", "Hannah", "Lehmann", "manager", 0, ["de", "en"], "Europe/Berlin"),
    ("kweber", "Katrin", "Weber", "agent", 1, ["de", "en"], "Europe/Berlin"),
    ("pmoreau", "Paul", "Moreau", "agent", 1, ["fr", "en", "de"], "Europe/Paris"),
    ("ejohnson", "Emily", "Johnson", "agent", 2, ["en"], "America/New_York"),
    ("mrossi", "Marco", "Rossi", "agent", 2, ["it", "en", "es"], "Europe/Rome"),
    ("zkowalska", "Zofia", "Kowalska", "agent", 0, ["pl", "en"], "Europe/Warsaw"),
    ("cdemir", "Can", "Demir", "agent", 2, ["tr", "de", "en"], "Europe/Istanbul"),
    ("lschulz", "Lena", "Schulz", "agent", 0, ["de", "en", "fr"], "Europe/Berlin"),
)

#: Per language and topic: (subjects, first messages, agent replies, customer follow-ups).
CONVERSATIONS: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "de": {
        "delivery": (
            ("Wo bleibt meine Bestellung?", "Lieferung verspätet", "Paket nicht angekommen"),
            (
                "Guten Tag, ich habe vor zehn Tagen bestellt und noch keine Versandbestätigung "
                "erhalten. Können Sie bitte nachsehen, wo meine Bestellung bleibt?",
                "Hallo, laut Sendungsverfolgung wurde mein Paket gestern zugestellt, es ist aber "
                "nicht bei mir angekommen. Was kann ich tun?",
            ),
            (
                "vielen Dank für Ihre Nachricht. Ihre Bestellung hat unser Lager verlassen und "
                "wird voraussichtlich übermorgen zugestellt. Die Sendungsnummer finden Sie in "
                "Ihrem Kundenkonto.",
                "das tut uns leid. Wir haben einen Nachforschungsauftrag beim Paketdienst "
                "gestellt und melden uns spätestens in drei Werktagen.",
            ),
            (
                "Danke, gibt es schon etwas Neues? Ich brauche das Gerät bis Freitag.",
                "Das Paket ist inzwischen da, danke für die Hilfe!",
            ),
        ),
        "return": (
            ("Rücksendung", "Rückgabe Kopfhörer", "Umtausch gewünscht"),
            (
                "Hallo, die Kopfhörer passen mir leider nicht. Wie kann ich sie zurückschicken?",
                "Ich möchte den Monitor umtauschen, er hat einen Pixelfehler. Bekomme ich ein "
                "Rücksendeetikett?",
            ),
            (
                "gerne. Das Rücksendeetikett haben wir Ihnen per E-Mail geschickt. Sobald die "
                "Ware bei uns ist, erstatten wir den Betrag innerhalb von fünf Werktagen.",
                "selbstverständlich. Bitte verpacken Sie das Gerät sicher; der Austausch geht "
                "raus, sobald die Rücksendung eingetroffen ist.",
            ),
            (
                "Paket ist abgeschickt. Wann bekomme ich mein Geld zurück?",
                "Danke, das Etikett ist angekommen.",
            ),
        ),
        "invoice": (
            ("Frage zur Rechnung", "Rechnung fehlt", "Doppelte Abbuchung"),
            (
                "Guten Tag, auf meiner Rechnung steht die falsche Adresse. Können Sie die "
                "Rechnung bitte neu ausstellen?",
                "Der Betrag wurde zweimal von meinem Konto abgebucht. Bitte prüfen Sie das.",
            ),
            (
                "danke für den Hinweis. Wir haben die Rechnung korrigiert und Ihnen die neue "
                "Fassung als PDF geschickt.",
                "Sie haben recht, die zweite Abbuchung war ein Fehler. Die Erstattung ist "
                "veranlasst und in zwei bis drei Werktagen auf Ihrem Konto.",
            ),
            (
                "Brauche ich für die Firma eine Rechnung mit Umsatzsteuer-ID?",
                "Perfekt, vielen Dank.",
            ),
        ),
        "defect": (
            ("Gerät defekt", "Garantiefall", "Akku lädt nicht mehr"),
            (
                "Mein Smartphone startet seit gestern nicht mehr, obwohl der Akku voll ist. Es "
                "ist erst drei Monate alt.",
                "Die Soundbar verliert ständig die Bluetooth-Verbindung. Ein Reset hat nicht "
                "geholfen.",
            ),
            (
                "bitte halten Sie die Ein-Taste und Leiser 15 Sekunden lang gedrückt. Wenn das "
                "Gerät dann nicht startet, holen wir es kostenlos zur Reparatur ab.",
                "das klingt nach einem Garantiefall. Wir schicken Ihnen ein Austauschgerät; das "
                "alte nimmt der Bote mit.",
            ),
            (
                "Das hat leider nicht funktioniert. Wie geht es weiter?",
                "Es startet wieder, danke für den Tipp!",
            ),
        ),
        "account": (
            ("Passwort vergessen", "Kundenkonto löschen", "E-Mail-Adresse ändern"),
            (
                "Ich komme nicht mehr in mein Kundenkonto, die E-Mail zum Zurücksetzen kommt nicht an.",
                "Bitte ändern Sie die E-Mail-Adresse in meinem Konto, die alte gibt es nicht mehr.",
            ),
            (
                "wir haben den Link zum Zurücksetzen erneut verschickt; bitte sehen Sie auch im "
                "Spam-Ordner nach.",
                "erledigt: Ihr Konto ist jetzt mit der neuen Adresse verknüpft.",
            ),
            ("Jetzt klappt es, danke.", "Kann ich auch meine Telefonnummer hinterlegen?"),
        ),
    },
    "en": {
        "delivery": (
            ("Where is my order?", "Delivery delayed", "Parcel not received"),
            (
                "Hi, I ordered ten days ago and still have no shipping confirmation. Could you "
                "check where my order is?",
                "Hello, the tracking says my parcel was delivered yesterday, but I never got it. "
                "What can I do?",
            ),
            (
                "thanks for getting in touch. Your order has left our warehouse and should arrive "
                "the day after tomorrow. The tracking number is in your account.",
                "I am sorry to hear that. We have opened an investigation with the carrier and "
                "will get back to you within three working days.",
            ),
            (
                "Thanks, any news? I need the device by Friday.",
                "The parcel turned up, thanks for your help!",
            ),
        ),
        "return": (
            ("Return request", "Returning headphones", "Exchange please"),
            (
                "Hi, the headphones do not fit me. How do I send them back?",
                "I would like to exchange the monitor, it has a dead pixel. Can I get a return "
                "label?",
            ),
            (
                "of course. We have emailed you a return label. Once the item is back with us we "
                "refund you within five working days.",
                "certainly. Please pack the device safely; the replacement ships as soon as the "
                "return arrives.",
            ),
            ("Parcel is on its way. When will I get my refund?", "Thanks, got the label."),
        ),
        "invoice": (
            ("Question about my invoice", "Invoice missing", "Charged twice"),
            (
                "Hello, my invoice shows the wrong address. Could you reissue it?",
                "I was charged twice for the same order. Please look into it.",
            ),
            (
                "thanks for letting us know. We corrected the invoice and sent you the new PDF.",
                "you are right, the second charge was a mistake. The refund is on its way and "
                "will reach your account in two to three working days.",
            ),
            ("Do I need a VAT number on the invoice for my company?", "Perfect, thank you."),
        ),
        "defect": (
            ("Device not working", "Warranty claim", "Battery no longer charges"),
            (
                "My phone will not start since yesterday although the battery is full. It is "
                "only three months old.",
                "The soundbar keeps dropping the Bluetooth connection. A reset did not help.",
            ),
            (
                "please hold the power and volume-down buttons for 15 seconds. If it still does "
                "not start, we will collect it for a free repair.",
                "that sounds like a warranty case. We are sending you a replacement; the courier "
                "takes the old one with him.",
            ),
            ("That did not work, unfortunately. What next?", "It works again, thanks for the tip!"),
        ),
        "account": (
            ("Forgot my password", "Delete my account", "Change my email address"),
            (
                "I cannot log in any more and the reset email never arrives.",
                "Please change the email address on my account, the old one no longer exists.",
            ),
            (
                "we have sent the reset link again; please also check your spam folder.",
                "done: your account now uses the new address.",
            ),
            ("It works now, thanks.", "Can I add my phone number too?"),
        ),
    },
    "fr": {
        "delivery": (
            ("Où en est ma commande ?", "Livraison en retard", "Colis non reçu"),
            (
                "Bonjour, j'ai commandé il y a dix jours et je n'ai toujours pas de confirmation "
                "d'expédition. Pouvez-vous vérifier ?",
                "Bonjour, le suivi indique que mon colis a été livré hier, mais je ne l'ai pas reçu.",
            ),
            (
                "merci pour votre message. Votre commande a quitté notre entrepôt et devrait "
                "arriver après-demain.",
                "nous sommes désolés. Nous avons ouvert une enquête auprès du transporteur et "
                "revenons vers vous sous trois jours ouvrés.",
            ),
            ("Merci, avez-vous du nouveau ?", "Le colis est arrivé, merci !"),
        ),
        "return": (
            ("Demande de retour", "Retour casque", "Échange souhaité"),
            (
                "Bonjour, le casque ne me convient pas. Comment puis-je le renvoyer ?",
                "Je souhaite échanger l'écran, il a un pixel mort.",
            ),
            (
                "bien sûr. L'étiquette de retour vous a été envoyée par courriel ; le "
                "remboursement suit sous cinq jours ouvrés.",
                "sans problème. L'appareil de remplacement part dès réception du retour.",
            ),
            ("Le colis est parti. Quand serai-je remboursé ?", "Merci, j'ai reçu l'étiquette."),
        ),
        "invoice": (
            ("Question sur ma facture", "Facture manquante", "Prélevé deux fois"),
            (
                "Bonjour, l'adresse sur ma facture est erronée. Pouvez-vous la rééditer ?",
                "J'ai été débité deux fois pour la même commande.",
            ),
            (
                "merci de nous l'avoir signalé. La facture corrigée vous a été envoyée.",
                "vous avez raison, le second prélèvement était une erreur. Le remboursement est "
                "en cours.",
            ),
            ("Parfait, merci.", "Faut-il un numéro de TVA pour mon entreprise ?"),
        ),
        "defect": (
            ("Appareil en panne", "Demande de garantie", "La batterie ne charge plus"),
            (
                "Mon téléphone ne démarre plus depuis hier alors que la batterie est pleine.",
                "La barre de son perd sans cesse la connexion Bluetooth.",
            ),
            (
                "maintenez les touches marche et volume bas pendant 15 secondes. Sinon, nous "
                "venons le chercher pour une réparation gratuite.",
                "c'est un cas de garantie. Nous vous envoyons un appareil de remplacement.",
            ),
            ("Cela n'a pas fonctionné. Et maintenant ?", "Il redémarre, merci pour l'astuce !"),
        ),
        "account": (
            ("Mot de passe oublié", "Supprimer mon compte", "Changer d'adresse e-mail"),
            (
                "Je n'arrive plus à me connecter et le courriel de réinitialisation n'arrive pas.",
                "Merci de changer l'adresse e-mail de mon compte.",
            ),
            (
                "nous avons renvoyé le lien ; pensez à vérifier vos courriers indésirables.",
                "c'est fait : votre compte utilise maintenant la nouvelle adresse.",
            ),
            ("Ça marche maintenant, merci.", "Puis-je aussi ajouter mon numéro de téléphone ?"),
        ),
    },
    "es": {
        "delivery": (
            ("¿Dónde está mi pedido?", "Entrega retrasada", "Paquete no recibido"),
            (
                "Hola, hice el pedido hace diez días y aún no tengo confirmación de envío.",
                "Hola, el seguimiento dice que el paquete se entregó ayer, pero no lo he recibido.",
            ),
            (
                "gracias por escribirnos. Su pedido ya salió del almacén y llegará pasado mañana.",
                "lo sentimos. Hemos abierto una reclamación con la empresa de transporte y le "
                "responderemos en tres días laborables.",
            ),
            ("Gracias, ¿hay novedades?", "¡Ya llegó el paquete, gracias!"),
        ),
        "return": (
            ("Devolución", "Devolver auriculares", "Quiero un cambio"),
            (
                "Hola, los auriculares no me quedan bien. ¿Cómo los devuelvo?",
                "Quiero cambiar el monitor, tiene un píxel muerto.",
            ),
            (
                "por supuesto. Le hemos enviado la etiqueta de devolución; el reembolso llega en "
                "cinco días laborables.",
                "claro. El equipo de sustitución sale en cuanto recibamos la devolución.",
            ),
            ("Ya envié el paquete. ¿Cuándo recibo el reembolso?", "Gracias, ya tengo la etiqueta."),
        ),
        "invoice": (
            ("Consulta sobre mi factura", "Falta la factura", "Cobro duplicado"),
            (
                "Hola, la dirección de mi factura es incorrecta. ¿Pueden emitirla de nuevo?",
                "Me han cobrado dos veces el mismo pedido.",
            ),
            (
                "gracias por avisarnos. Le hemos enviado la factura corregida.",
                "tiene razón, el segundo cargo fue un error. El reembolso ya está en camino.",
            ),
            ("Perfecto, gracias.", "¿Necesito el NIF de mi empresa en la factura?"),
        ),
        "defect": (
            ("Aparato averiado", "Reclamación de garantía", "La batería ya no carga"),
            (
                "Mi móvil no enciende desde ayer aunque la batería está llena.",
                "La barra de sonido pierde la conexión Bluetooth todo el rato.",
            ),
            (
                "mantenga pulsados el botón de encendido y bajar volumen 15 segundos. Si no "
                "arranca, lo recogemos para repararlo gratis.",
                "es un caso de garantía. Le enviamos un equipo de sustitución.",
            ),
            ("No ha funcionado. ¿Y ahora?", "¡Ya funciona, gracias por el consejo!"),
        ),
        "account": (
            ("Olvidé mi contraseña", "Borrar mi cuenta", "Cambiar mi correo"),
            (
                "No puedo entrar en mi cuenta y no me llega el correo para restablecerla.",
                "Cambien por favor el correo de mi cuenta, el antiguo ya no existe.",
            ),
            (
                "hemos enviado de nuevo el enlace; revise también la carpeta de spam.",
                "hecho: su cuenta ya usa la dirección nueva.",
            ),
            ("Ya funciona, gracias.", "¿Puedo añadir también mi teléfono?"),
        ),
    },
    "it": {
        "delivery": (
            ("Dov'è il mio ordine?", "Consegna in ritardo", "Pacco non ricevuto"),
            (
                "Buongiorno, ho ordinato dieci giorni fa e non ho ancora la conferma di spedizione.",
                "Salve, il tracciamento dice che il pacco è stato consegnato ieri, ma non l'ho "
                "ricevuto.",
            ),
            (
                "grazie per averci scritto. L'ordine è partito dal magazzino e arriverà dopodomani.",
                "ci dispiace. Abbiamo aperto una verifica con il corriere e la ricontattiamo "
                "entro tre giorni lavorativi.",
            ),
            ("Grazie, ci sono novità?", "Il pacco è arrivato, grazie!"),
        ),
        "return": (
            ("Richiesta di reso", "Reso cuffie", "Vorrei un cambio"),
            (
                "Salve, le cuffie non mi vanno bene. Come posso restituirle?",
                "Vorrei cambiare il monitor, ha un pixel difettoso.",
            ),
            (
                "certo. Le abbiamo inviato l'etichetta di reso; il rimborso arriva entro cinque "
                "giorni lavorativi.",
                "senz'altro. Il prodotto sostitutivo parte appena riceviamo il reso.",
            ),
            ("Ho spedito il pacco. Quando arriva il rimborso?", "Grazie, ho ricevuto l'etichetta."),
        ),
        "invoice": (
            ("Domanda sulla fattura", "Fattura mancante", "Addebito doppio"),
            (
                "Buongiorno, l'indirizzo sulla fattura è sbagliato. Potete riemetterla?",
                "Mi è stato addebitato due volte lo stesso ordine.",
            ),
            (
                "grazie della segnalazione. Le abbiamo inviato la fattura corretta.",
                "ha ragione, il secondo addebito è un errore. Il rimborso è in corso.",
            ),
            ("Perfetto, grazie.", "Serve la partita IVA in fattura per la mia azienda?"),
        ),
        "defect": (
            ("Dispositivo guasto", "Richiesta di garanzia", "La batteria non si carica"),
            (
                "Il mio telefono non si accende da ieri anche se la batteria è carica.",
                "La soundbar perde continuamente la connessione Bluetooth.",
            ),
            (
                "tenga premuti accensione e volume giù per 15 secondi. Se non riparte, lo "
                "ritiriamo per una riparazione gratuita.",
                "è un caso di garanzia. Le spediamo un dispositivo sostitutivo.",
            ),
            ("Non ha funzionato. E adesso?", "Funziona di nuovo, grazie!"),
        ),
        "account": (
            ("Password dimenticata", "Cancellare il mio account", "Cambiare indirizzo email"),
            (
                "Non riesco ad accedere e l'email per reimpostare la password non arriva.",
                "Per favore cambiate l'indirizzo email del mio account.",
            ),
            (
                "abbiamo inviato di nuovo il link; controlli anche lo spam.",
                "fatto: il suo account usa ora il nuovo indirizzo.",
            ),
            ("Ora funziona, grazie.", "Posso aggiungere anche il numero di telefono?"),
        ),
    },
    "pl": {
        "delivery": (
            ("Gdzie jest moje zamówienie?", "Opóźniona dostawa", "Paczka nie dotarła"),
            (
                "Dzień dobry, zamówiłem dziesięć dni temu i nadal nie mam potwierdzenia wysyłki.",
                "Według śledzenia paczka została wczoraj doręczona, ale jej nie otrzymałam.",
            ),
            (
                "dziękujemy za wiadomość. Zamówienie opuściło magazyn i dotrze pojutrze.",
                "przykro nam. Zgłosiliśmy reklamację u przewoźnika i odezwiemy się w ciągu "
                "trzech dni roboczych.",
            ),
            ("Dziękuję, czy są nowe informacje?", "Paczka dotarła, dziękuję!"),
        ),
        "return": (
            ("Zwrot", "Zwrot słuchawek", "Prośba o wymianę"),
            (
                "Dzień dobry, słuchawki mi nie pasują. Jak mogę je odesłać?",
                "Chcę wymienić monitor, ma martwy piksel.",
            ),
            (
                "oczywiście. Etykieta zwrotna jest już w Pani skrzynce; zwrot pieniędzy w ciągu "
                "pięciu dni roboczych.",
                "jasne. Nowe urządzenie wyślemy, gdy tylko dotrze zwrot.",
            ),
            ("Paczka wysłana. Kiedy dostanę zwrot pieniędzy?", "Dziękuję, etykieta dotarła."),
        ),
        "invoice": (
            ("Pytanie o fakturę", "Brak faktury", "Podwójne obciążenie"),
            (
                "Dzień dobry, na fakturze jest błędny adres. Czy można ją wystawić ponownie?",
                "Pobrano ode mnie dwa razy płatność za to samo zamówienie.",
            ),
            (
                "dziękujemy za informację. Poprawiona faktura została wysłana.",
                "ma Pan rację, drugie obciążenie to błąd. Zwrot jest w drodze.",
            ),
            ("Świetnie, dziękuję.", "Czy potrzebuję NIP na fakturze dla firmy?"),
        ),
        "defect": (
            ("Urządzenie nie działa", "Zgłoszenie gwarancyjne", "Bateria się nie ładuje"),
            (
                "Mój telefon od wczoraj się nie włącza, choć bateria jest pełna.",
                "Soundbar ciągle traci połączenie Bluetooth.",
            ),
            (
                "proszę przytrzymać przycisk zasilania i ściszania przez 15 sekund. Jeśli nie "
                "pomoże, odbierzemy urządzenie do bezpłatnej naprawy.",
                "to przypadek gwarancyjny. Wyślemy urządzenie zastępcze.",
            ),
            ("Niestety nie pomogło. Co dalej?", "Działa, dziękuję za wskazówkę!"),
        ),
        "account": (
            ("Nie pamiętam hasła", "Usunięcie konta", "Zmiana adresu e-mail"),
            (
                "Nie mogę się zalogować, a e-mail do resetu hasła nie przychodzi.",
                "Proszę zmienić adres e-mail na moim koncie.",
            ),
            (
                "wysłaliśmy link ponownie; proszę sprawdzić też folder spam.",
                "gotowe: konto używa teraz nowego adresu.",
            ),
            ("Teraz działa, dziękuję.", "Czy mogę dodać też numer telefonu?"),
        ),
    },
    "tr": {
        "delivery": (
            ("Siparişim nerede?", "Teslimat gecikti", "Paket ulaşmadı"),
            (
                "Merhaba, on gün önce sipariş verdim ama hâlâ kargo onayı gelmedi.",
                "Kargo takibinde paket dün teslim edildi görünüyor ama elime ulaşmadı.",
            ),
            (
                "mesajınız için teşekkürler. Siparişiniz depodan çıktı, yarından sonra teslim "
                "edilecek.",
                "çok üzgünüz. Kargo firmasıyla inceleme başlattık, üç iş günü içinde dönüş yapacağız.",
            ),
            ("Teşekkürler, yeni bir gelişme var mı?", "Paket geldi, yardımınız için teşekkürler!"),
        ),
        "return": (
            ("İade talebi", "Kulaklık iadesi", "Değişim istiyorum"),
            (
                "Merhaba, kulaklık bana uymadı. Nasıl iade edebilirim?",
                "Monitörde ölü piksel var, değiştirmek istiyorum.",
            ),
            (
                "elbette. İade etiketini e-postayla gönderdik; ücret beş iş günü içinde iade edilir.",
                "tabii. Yeni cihaz, iadeniz bize ulaşınca gönderilecek.",
            ),
            ("Paketi gönderdim. Param ne zaman iade edilir?", "Teşekkürler, etiket geldi."),
        ),
        "invoice": (
            ("Faturamla ilgili soru", "Fatura eksik", "İki kez ödeme alındı"),
            (
                "Merhaba, faturadaki adres yanlış. Yeniden düzenleyebilir misiniz?",
                "Aynı sipariş için hesabımdan iki kez ödeme alındı.",
            ),
            (
                "bildiriminiz için teşekkürler. Düzeltilmiş faturayı gönderdik.",
                "haklısınız, ikinci çekim bir hataydı. İade işlemi başlatıldı.",
            ),
            ("Harika, teşekkürler.", "Şirketim için vergi numarası gerekli mi?"),
        ),
        "defect": (
            ("Cihaz arızalı", "Garanti talebi", "Batarya şarj olmuyor"),
            (
                "Telefonum dünden beri açılmıyor, batarya dolu olmasına rağmen.",
                "Soundbar sürekli Bluetooth bağlantısını kaybediyor.",
            ),
            (
                "lütfen güç ve ses kısma tuşlarına 15 saniye basılı tutun. Açılmazsa ücretsiz "
                "onarım için teslim alacağız.",
                "bu bir garanti durumu. Size yeni bir cihaz gönderiyoruz.",
            ),
            ("Maalesef işe yaramadı. Şimdi ne olacak?", "Tekrar çalışıyor, teşekkürler!"),
        ),
        "account": (
            ("Şifremi unuttum", "Hesabımı silmek istiyorum", "E-posta adresimi değiştirme"),
            (
                "Hesabıma giremiyorum, şifre sıfırlama e-postası gelmiyor.",
                "Lütfen hesabımdaki e-posta adresini değiştirin.",
            ),
            (
                "bağlantıyı yeniden gönderdik; lütfen spam klasörünü de kontrol edin.",
                "tamamlandı: hesabınız artık yeni adresi kullanıyor.",
            ),
            ("Şimdi oldu, teşekkürler.", "Telefon numaramı da ekleyebilir miyim?"),
        ),
    },
}

#: How agents greet and sign, by language: (greeting before the given name, closing line).
GREETINGS: dict[str, tuple[str, str]] = {
    "de": ("Hallo", "Viele Grüße"),
    "en": ("Hi", "Best regards"),
    "fr": ("Bonjour", "Cordialement"),
    "es": ("Hola", "Un saludo"),
    "it": ("Buongiorno", "Cordiali saluti"),
    "pl": ("Dzień dobry", "Pozdrawiam"),
    "tr": ("Merhaba", "Saygılarımızla"),
}

#: The agent's last message when a conversation is solved, by language.
CLOSINGS: dict[str, tuple[str, ...]] = {
    "de": (
        "Schön, dass es geklappt hat. Wir schließen die Anfrage; antworten Sie einfach, falls noch etwas ist.",
    ),
    "en": ("Glad that worked. We are closing this request; just reply if there is anything else.",),
    "fr": ("Ravi que ce soit réglé. Nous clôturons la demande ; répondez simplement si besoin.",),
    "es": (
        "Nos alegra que se haya resuelto. Cerramos la consulta; responda si necesita algo más.",
    ),
    "it": ("Bene che sia risolto. Chiudiamo la richiesta; risponda pure se serve altro.",),
    "pl": ("Cieszymy się, że się udało. Zamykamy zgłoszenie; w razie potrzeby proszę odpisać.",),
    "tr": (
        "Sorunun çözülmesine sevindik. Talebi kapatıyoruz; başka bir şey olursa yanıtlamanız yeterli.",
    ),
}

#: Internal notes agents leave (in English, the team's working language).
HELPDESK_NOTES: tuple[str, ...] = (
    "Checked the carrier portal: parcel is stuck at the hub since Monday.",
    "Refund approved, booked in the payment provider.",
    "Customer is a repeat caller about this; please keep an eye on it.",
    "Asked the warehouse for a photo of the packed item.",
    "Known issue with firmware 2.3, fix expected next week.",
    "Voucher of 10 EUR granted as a goodwill gesture.",
    "Escalated to second level, device probably needs a mainboard swap.",
)

#: Notes on logged calls, by language.
CALL_NOTES: dict[str, tuple[str, ...]] = {
    "de": ("Kundin angerufen, Lösung erklärt.", "Rückruf: Status mitgeteilt, Kunde zufrieden."),
    "en": ("Called the customer and explained the fix.", "Call back: gave a status update."),
    "fr": ("Appel au client, solution expliquée.", "Rappel : point sur le dossier fait."),
    "es": ("Llamada al cliente, solución explicada.", "Devolución de llamada: estado comunicado."),
    "it": ("Chiamato il cliente, soluzione spiegata.", "Richiamata: aggiornamento sullo stato."),
    "pl": ("Rozmowa z klientem, wyjaśniono rozwiązanie.", "Oddzwonienie: przekazano status."),
    "tr": ("Müşteri arandı, çözüm anlatıldı.", "Geri arama: durum bilgisi verildi."),
}
