/* placeholder: replaced by the real entry point */
int main(void);
int
main(void)
{
	return 1;
}
