"""python -m services.notifications [--role api|worker|relay|all]"""

from services.notifications.app import SERVICE
from shared.service import main

main(SERVICE)
